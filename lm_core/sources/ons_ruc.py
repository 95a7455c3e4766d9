"""ONS Rural Urban Classification 2021 of local authority districts, as two numbers a distance can use."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lm_core.sources.base import IndicatorMeta, SourceError, SourceResult, finalise_values

FOLDER = "ons-ruc2021-lad"
FILE = "Rural_Urban_Classification_(2021)_of_Local_Authority_Districts_(2024)_in_EW.csv"
SOURCE_URL = (
    "https://www.ons.gov.uk/methodology/geography/geographicalproducts/ruralurbanclassifications/"
    "2021ruralurbanclassification"
)
ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right [year]."
)
PUBLISHER = "Office for National Statistics"
PERIOD = ("RUC2021", "2021-03-21")  # classification of Census 2021 populations
COUNCIL_PREFIXES = ("E06", "E07", "E08", "E09")

# Source column names, mapped once here.
CODE = "LAD24CD"
CLASS_CODE = "RUC21CD"
CLASS_NAME = "RUC21NM"
FLAG = "Urban_rural_flag"
REQUIRED = (CODE, CLASS_CODE, CLASS_NAME, FLAG)

# First two letters of RUC21CD -> (band, the class name's opening words). ONS thresholds on the share
# of residents living in rural output areas: Urban <20%, Intermediate urban 20-35%,
# Intermediate rural 35-50%, Majority rural >=50%.
BANDS: dict[str, tuple[int, str]] = {
    "UU": (0, "Urban"),
    "UI": (1, "Intermediate urban"),
    "RI": (2, "Intermediate rural"),
    "RM": (3, "Majority rural"),
}
# Third letter: whether most residents live nearer to, or further from, a major town or city.
ACCESS: dict[str, tuple[int, str]] = {
    "N": (0, "Majority nearer to a major town or city"),
    "F": (1, "Majority further from a major town or city"),
}
FLAGS = {"U": "Urban", "R": "Rural"}

_CAVEATS = (
    "Encoded by this app from the 8 ONS classes into two numbers so that similar councils can be found: "
    "a rural-share band 0-3 (Urban <20% of residents in rural areas, Intermediate urban 20-35%, "
    "Intermediate rural 35-50%, Majority rural 50%+) and a 0/1 flag for most residents living further "
    "from a major town or city. The band is ordinal, not a measured quantity; the class name is kept in "
    "each value's note. Districts and unitaries only (2024 codes); bands cannot be combined into county "
    "figures, for which the continuous mySociety rural shares are used instead. The copy was rebuilt "
    "from a search index after the host repository deleted it."
)


def _meta(indicator_id: str, title: str, description: str, unit: str) -> IndicatorMeta:
    return IndicatorMeta(
        id=indicator_id, title=title, description=description, service_area="Context", unit=unit,
        polarity="none", role="context", tier="lower", publisher=PUBLISHER, source_url=SOURCE_URL,
        licence="OGL v3.0", attribution=ATTRIBUTION, caveats=_CAVEATS, source_folder=FOLDER,
        rollup="none", decimals=0,
    )


BAND_META = _meta(
    "rural_share_band_2021", "Rurality band (2021 Rural Urban Classification)",
    "How rural the council's population is: 0 urban, 1 intermediate urban, 2 intermediate rural, "
    "3 majority rural.", "band (0-3)")
FURTHER_META = _meta(
    "further_from_major_town_2021", "Most residents further from a major town or city",
    "1 when most residents live further from a major town or city (2021 Rural Urban Classification), "
    "else 0.", "flag (0/1)")


def decode_ruc(code: str) -> tuple[int, int]:
    """(rural-share band 0-3, further-from-major-town 0/1) for an RUC2021 district code like "RMF"."""
    text = code.strip().upper()
    if len(text) != 3 or text[:2] not in BANDS or text[2] not in ACCESS:
        raise ValueError(f"not an RUC2021 district class code: {code!r}")
    return BANDS[text[:2]][0], ACCESS[text[2]][0]


def expected_name(code: str) -> str:
    """The ONS class name a valid code must carry, e.g. "Majority rural: Majority further from ..."."""
    text = code.strip().upper()
    decode_ruc(text)
    return f"{BANDS[text[:2]][1]}: {ACCESS[text[2]][1]}"


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
    for col in REQUIRED:
        raw[col] = raw[col].str.strip()
    return raw


def read(root: Path) -> SourceResult:
    """Rural-share band and remoteness flag for the 296 English districts and unitaries."""
    path = root / FOLDER / FILE
    raw = _load(path)
    english = raw[raw[CODE].str.startswith(COUNCIL_PREFIXES)]
    if english[CODE].duplicated().any():
        raise SourceError(path, f"{english.loc[english[CODE].duplicated(), CODE].iloc[0]} appears twice")
    nan = float("nan")
    rows: list[dict[str, object]] = []
    for code, klass, name, flag in zip(english[CODE], english[CLASS_CODE], english[CLASS_NAME], english[FLAG],
                                       strict=True):
        try:
            band, further = decode_ruc(klass)
        except ValueError as exc:
            raise SourceError(path, f"{code}: {exc}") from exc
        if name.casefold() != expected_name(klass).casefold() or flag != FLAGS[klass.strip().upper()[0]]:
            raise SourceError(path, f"{code}: class {klass!r} does not match name {name!r} / flag {flag!r}")
        note = f"{klass} {name}"
        for meta, value in ((BAND_META, band), (FURTHER_META, further)):
            rows.append({"area_code": code, "indicator_id": meta.id, "period": PERIOD[0],
                         "period_start": PERIOD[1], "value": float(value), "lower": nan, "upper": nan,
                         "numerator": nan, "denominator": nan, "status": "", "note": note})
    values = finalise_values(pd.DataFrame(rows))
    counts = english[CODE].str[:3].value_counts().sort_index()
    classes = english[CLASS_CODE].value_counts()
    log = [
        f"{FILE}: read {len(english)} English districts and unitaries ("
        + ", ".join(f"{n} {p}" for p, n in counts.items()) + ", 2024 codes); classes "
        + ", ".join(f"{k} {n}" for k, n in classes.items()),
        f"{FILE}: left out {len(raw) - len(english)} Welsh unitary authorities",
        f"{FILE}: 8 classes encoded as rural_share_band_2021 (0-3) and further_from_major_town_2021 (0/1); "
        "rollup 'none' because bands of districts cannot be combined into a county band",
    ]
    return SourceResult(indicators=[BAND_META, FURTHER_META], values=values, log=log)
