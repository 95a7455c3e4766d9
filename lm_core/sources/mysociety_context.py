"""mySociety's rural/urban population shares on current boundaries, counties included."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lm_core.sources.base import IndicatorMeta, SourceError, SourceResult, finalise_values, parse_cell
from lm_core.sources.mysociety_register import FILE as REGISTER_FILE
from lm_core.sources.mysociety_register import FOLDER as REGISTER_FOLDER
from lm_core.sources.mysociety_register import read_register

FOLDER = "mysociety-uk-ruc"
FILE = "la_ruc.csv"
IMD_FOLDER = "mysociety-composite-uk-imd"
SOURCE_URL = "https://github.com/mysociety/uk_ruc"
ATTRIBUTION = (
    "Rural/urban profile from mySociety's UK Composite Rural Urban Classification (CC BY 4.0); "
    "based on ONS Rural-Urban Classification 2011 (OGL v3.0)"
)
PUBLISHER = "mySociety"
PERIOD = ("RUC2011", "2011-03-27")  # 2011 Census small-area classes (mySociety package 2.4.0, 2025)
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09", "E10")

# Source column names, mapped once here.
REGISTER_CODE = "local-authority-code"
CLUSTER = "ruc-cluster-label"
SHARES: dict[str, str] = {  # source column -> indicator id
    "urban": "urban_population_share",
    "rural": "rural_population_share",
    "highly-rural": "highly_rural_population_share",
}
REQUIRED = (REGISTER_CODE, CLUSTER, *SHARES)

_CAVEATS = (
    "mySociety's harmonisation of the ONS 2011 Rural-Urban Classification of neighbourhoods (LSOAs) into "
    "urban, rural and highly rural, population-weighted (2019 populations) to current council boundaries; "
    "not an official statistic and not the 2021 classification. The three shares add up to 100%. "
    "Available for counties as well as districts, so it is the rurality measure to use for county peers."
)


def _meta(indicator_id: str, title: str, description: str) -> IndicatorMeta:
    return IndicatorMeta(
        id=indicator_id, title=title, description=description, service_area="Context", unit="%",
        polarity="none", role="context", tier="both", publisher=PUBLISHER, source_url=SOURCE_URL,
        licence="CC BY 4.0", attribution=ATTRIBUTION, caveats=_CAVEATS, source_folder=FOLDER,
        rollup="weighted", decimals=1,
    )


INDICATORS: dict[str, IndicatorMeta] = {
    "urban_population_share": _meta(
        "urban_population_share", "Residents living in urban neighbourhoods",
        "Share of residents living in neighbourhoods classed as urban."),
    "rural_population_share": _meta(
        "rural_population_share", "Residents living in rural neighbourhoods",
        "Share of residents living in neighbourhoods classed as rural (but not highly rural)."),
    "highly_rural_population_share": _meta(
        "highly_rural_population_share", "Residents living in highly rural neighbourhoods",
        "Share of residents living in the most rural, sparsely populated neighbourhoods."),
}


def share_to_percent(raw: object) -> tuple[float, str]:
    """A published 0-1 share as (percent, status); anything outside 0-1 is a malformed file."""
    value, status = parse_cell(raw)
    if status:
        return value, status
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"share outside 0-1: {raw!r}")
    return value * 100.0, ""


def _load(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SourceError(path, "file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(path, f"not a readable CSV ({exc})") from exc
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise SourceError(path, f"column(s) missing: {', '.join(missing)}")
    raw[REGISTER_CODE] = raw[REGISTER_CODE].str.strip()
    if raw[REGISTER_CODE].duplicated().any():
        twice = raw.loc[raw[REGISTER_CODE].duplicated(), REGISTER_CODE].iloc[0]
        raise SourceError(path, f"{twice} appears twice")
    return raw


def read(root: Path) -> SourceResult:
    """Urban, rural and highly rural shares for English councils and counties, keyed on GSS codes."""
    path = root / FOLDER / FILE
    raw = _load(path)
    register = read_register(root)
    # The register holds former authorities too; a register code names one body, so current or not
    # its GSS code is the right key (the lineage step re-keys any retired one).
    to_gss = dict(zip(register["register_code"], register["area_code"], strict=True))
    raw["area_code"] = raw[REGISTER_CODE].map(to_gss).fillna("")
    log: list[str] = []
    unmatched = raw[raw["area_code"] == ""]
    if len(unmatched):
        log.append(f"{FILE}: left out {len(unmatched)} rows whose mySociety code is not an English "
                   f"authority in {REGISTER_FOLDER}/{REGISTER_FILE} (Scotland, Wales, Northern Ireland)")
    english = raw[raw["area_code"] != ""]
    councils = english[english["area_code"].str.startswith(COUNCIL_PREFIXES)]
    others = english[~english["area_code"].str.startswith(COUNCIL_PREFIXES)]
    if len(others):
        log.append(f"{FILE}: left out {len(others)} combined authorities / GLA ("
                   + ", ".join(sorted(others["area_code"])) + "): not councils compared here")
    if councils["area_code"].duplicated().any():
        raise SourceError(path, "two mySociety codes map to the same GSS code "
                          f"{councils.loc[councils['area_code'].duplicated(), 'area_code'].iloc[0]}")
    nan = float("nan")
    rows: list[dict[str, object]] = []
    for _, rec in councils.iterrows():
        for column, indicator_id in SHARES.items():
            try:
                value, status = share_to_percent(rec[column])
            except ValueError as exc:
                raise SourceError(path, f"{rec[REGISTER_CODE]}, '{column}': {exc}") from exc
            rows.append({"area_code": rec["area_code"], "indicator_id": indicator_id, "period": PERIOD[0],
                         "period_start": PERIOD[1], "value": value, "lower": nan, "upper": nan,
                         "numerator": nan, "denominator": nan, "status": status,
                         "note": f"mySociety cluster: {rec[CLUSTER]}" if rec[CLUSTER] else ""})
    values = finalise_values(pd.DataFrame(rows))
    counts = councils["area_code"].str[:3].value_counts().sort_index()
    log.insert(0, f"{FILE}: read urban / rural / highly rural shares for {len(councils)} English councils ("
               + ", ".join(f"{n} {p}" for p, n in counts.items())
               + f"), joined to GSS codes through {REGISTER_FOLDER}/{REGISTER_FILE}")
    log.append(f"{FILE}: 'ruc-cluster-label' kept as each value's note, not as a variable (it is derived "
               "from the three shares)")
    log.append(f"{IMD_FOLDER}/la_imd.csv not read: its deprivation score is IoD2019-based and superseded "
               "by IoD2025 (counties get IoD2025 population-weighted from their districts); its density "
               "duplicates the ONS mid-2022 density")
    return SourceResult(indicators=list(INDICATORS.values()), values=values, log=log)
