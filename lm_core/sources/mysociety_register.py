"""mySociety's register of local authorities: the spine of current councils and their predecessors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lm_core.sources.base import SourceError

FOLDER = "mysociety-la-names-codes"
FILE = "uk_local_authorities_current.csv"
ATTRIBUTION = (
    "Contains data from mySociety's UK Local Authority Names and Codes (CC BY 4.0). "
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
REQUIRED = (
    "local-authority-code", "official-name", "nice-name", "gss-code", "start-date", "end-date", "replaced-by",
    "nation", "region", "local-authority-type", "local-authority-type-name", "county-la",
    "combined-authority", "former-gss-codes", "current-authority", "pop-2020", "area", "ecode",
)


def read_register(root: Path) -> pd.DataFrame:
    """Every English authority, current and former, with the register's own columns renamed."""
    path = root / FOLDER / FILE
    if not path.exists():
        raise SourceError(path, "file not found (the authority register is required)")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SourceError(path, f"not a readable CSV ({exc})") from exc
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise SourceError(path, f"columns missing: {', '.join(missing)}")
    england = raw[raw["nation"] == "England"]
    out = pd.DataFrame(
        {
            "register_code": england["local-authority-code"],
            "area_code": england["gss-code"],
            "area_name": england["nice-name"],
            "official_name": england["official-name"],
            "type_code": england["local-authority-type"],
            "type_name": england["local-authority-type-name"],
            "region": england["region"],
            "county_register_code": england["county-la"],
            "ca_register_code": england["combined-authority"],
            "former_gss_codes": england["former-gss-codes"],
            "current": england["current-authority"].str.lower() == "true",
            "start_date": england["start-date"],
            "end_date": england["end-date"],
            "replaced_by": england["replaced-by"],
            "population_2020": pd.to_numeric(england["pop-2020"], errors="coerce"),
            "area_km2": pd.to_numeric(england["area"], errors="coerce"),
            "ecode": england["ecode"],
        }
    )
    if out["area_code"].eq("").any():
        raise SourceError(path, "an English authority has no GSS code")
    return out.reset_index(drop=True)
