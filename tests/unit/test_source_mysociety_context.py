"""mySociety rural/urban shares reader: real files, malformed files, and the share parser."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources.base import SourceError
from lm_core.sources.mysociety_context import FILE, FOLDER, read, share_to_percent
from lm_core.sources.mysociety_register import FILE as REGISTER_FILE
from lm_core.sources.mysociety_register import FOLDER as REGISTER_FOLDER
from lm_core.sources.mysociety_register import REQUIRED as REGISTER_COLUMNS

IDS = ("urban_population_share", "rural_population_share", "highly_rural_population_share")


@pytest.fixture(scope="module")
def values() -> pd.DataFrame:
    root = default_sources_dir()
    if not (root / FOLDER / FILE).exists():
        pytest.skip(f"official file not found at {root / FOLDER / FILE} (set LM_SOURCES)")
    return read(root).values


def _value(values: pd.DataFrame, code: str, indicator_id: str) -> float:
    rows = values[(values["area_code"] == code) & (values["indicator_id"] == indicator_id)]
    assert len(rows) == 1
    return float(rows["value"].iloc[0])


def test_councils_and_counties_covered(values: pd.DataFrame) -> None:
    for ind in IDS:
        rows = values[(values["indicator_id"] == ind) & values["value"].notna()]
        prefixes = rows["area_code"].str[:3].value_counts().to_dict()
        assert prefixes == {"E06": 63, "E07": 164, "E08": 36, "E09": 33, "E10": 21}, ind
    totals = values.groupby("area_code")["value"].sum()
    assert totals.between(99.999, 100.001).all()  # the three shares partition each population


def test_nothing_missing_is_zero(values: pd.DataFrame) -> None:
    assert values.loc[values["status"].isin(["x", "c", "z"]), "value"].isna().all()
    assert (values["status"] == "").all()


def test_values_match_the_file(values: pd.DataFrame) -> None:
    # la_ruc.csv row "HPL,Hartlepool Borough Council,0.026862261512016483,0.0,0.9731377384879835,Urban";
    # HPL is E06000001 in the register.
    assert _value(values, "E06000001", "urban_population_share") == pytest.approx(97.31377384879835)
    assert _value(values, "E06000001", "rural_population_share") == 0.0  # a published 0.0, not a gap
    # Row "CAM,Cambridgeshire County Council,0.14763509946644185,0.32182569617328477,
    # 0.5305392043602734,Rural" (highly-rural, rural, urban).
    assert _value(values, "E10000003", "highly_rural_population_share") == pytest.approx(14.763509946644185)


def _register(root: Path) -> None:
    (root / REGISTER_FOLDER).mkdir(parents=True, exist_ok=True)
    rows = []
    for code, gss, nation in (("HPL", "E06000001", "England"), ("CAM", "E10000003", "England"),
                              ("GRE", "E47000001", "England"), ("ABE", "S12000033", "Scotland")):
        row = dict.fromkeys(REGISTER_COLUMNS, "")
        row.update({"local-authority-code": code, "gss-code": gss, "nation": nation,
                    "current-authority": "True"})
        rows.append(row)
    pd.DataFrame(rows).to_csv(root / REGISTER_FOLDER / REGISTER_FILE, index=False)


def _write(root: Path, rows: list[list[object]], header: list[str] | None = None) -> None:
    (root / FOLDER).mkdir(parents=True, exist_ok=True)
    cols = header or ["local-authority-code", "official-name", "highly-rural", "rural", "urban",
                      "ruc-cluster-label"]
    pd.DataFrame(rows, columns=cols).to_csv(root / FOLDER / FILE, index=False)


def test_joins_through_the_register_and_drops_non_councils(tmp_path: Path) -> None:
    _register(tmp_path)
    _write(tmp_path, [["HPL", "Hartlepool", 0.1, 0.2, 0.7, "Urban"], ["CAM", "Cambs", 0.3, "", 0.4, "Rural"],
                      ["GRE", "Greater Manchester", 0.0, 0.1, 0.9, "Urban"],
                      ["ABE", "Aberdeen", 0.0, 0.1, 0.9, "Urban"]])
    out = read(tmp_path)
    assert set(out.values["area_code"]) == {"E06000001", "E10000003"}
    gap = out.values[(out.values["area_code"] == "E10000003")
                     & (out.values["indicator_id"] == "rural_population_share")].iloc[0]
    assert math.isnan(gap["value"]) and gap["status"] == "x"  # a blank share is missing, not 0
    assert any("E47000001" in line for line in out.log)


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    _register(tmp_path)
    _write(tmp_path, [["HPL", "Hartlepool", 0.1, 0.2, "Urban"]],
           ["local-authority-code", "official-name", "highly-rural", "rural", "ruc-cluster-label"])
    with pytest.raises(SourceError, match="urban") as err:
        read(tmp_path)
    assert FILE in err.value.path


def test_share_above_one_names_the_file(tmp_path: Path) -> None:
    _register(tmp_path)
    _write(tmp_path, [["HPL", "Hartlepool", 0.1, 0.2, 70, "Urban"]])
    with pytest.raises(SourceError, match="outside 0-1") as err:
        read(tmp_path)
    assert FILE in err.value.path


def test_missing_register_names_the_register(tmp_path: Path) -> None:
    _write(tmp_path, [["HPL", "Hartlepool", 0.1, 0.2, 0.7, "Urban"]])
    with pytest.raises(SourceError) as err:
        read(tmp_path)
    assert REGISTER_FILE in err.value.path


@given(st.floats(min_value=0, max_value=1))
def test_share_to_percent_scales(share: float) -> None:
    assert share_to_percent(share) == (pytest.approx(share * 100), "")
    assert share_to_percent(repr(share))[0] == pytest.approx(share * 100)


@given(st.one_of(st.floats(min_value=1.0000001, allow_infinity=False, allow_nan=False),
                 st.floats(max_value=-1e-12, allow_infinity=False, allow_nan=False)))
def test_share_to_percent_refuses_out_of_range(share: float) -> None:
    with pytest.raises(ValueError):
        share_to_percent(share)


@given(st.sampled_from(["", "[x]", "..", ":", "-", "[c]", "*", "[z]", None, float("nan")]))
def test_share_to_percent_keeps_gaps(cell: object) -> None:
    value, status = share_to_percent(cell)
    assert math.isnan(value) and status in {"x", "c", "z"}
