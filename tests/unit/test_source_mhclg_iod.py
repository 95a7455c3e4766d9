"""IoD2025 district summaries reader: real file, malformed files, and the cell-to-row conversion."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources.base import SourceError
from lm_core.sources.mhclg_iod import FILE, FOLDER, MEASURES, measure_rows, read


@pytest.fixture(scope="module")
def result() -> tuple[pd.DataFrame, list[str]]:
    root = default_sources_dir()
    if not (root / FOLDER / FILE).exists():
        pytest.skip(f"official file not found at {root / FOLDER / FILE} (set LM_SOURCES)")
    out = read(root)
    return out.values, [m.id for m in out.indicators]


def _value(values: pd.DataFrame, code: str, indicator_id: str) -> float:
    rows = values[(values["area_code"] == code) & (values["indicator_id"] == indicator_id)]
    assert len(rows) == 1
    return float(rows["value"].iloc[0])


def test_every_district_has_every_measure(result: tuple[pd.DataFrame, list[str]]) -> None:
    values, ids = result
    assert len(ids) == len(set(ids)) == 11
    assert not any("rank" in i for i in ids)  # ranks are never stored
    for ind in ids:
        rows = values[(values["indicator_id"] == ind) & values["value"].notna()]
        assert len(rows) == 296, ind
        assert set(rows["area_code"].str[:3]) == {"E06", "E07", "E08", "E09"}
    assert set(values["period"]) == {"IoD2025"}


def test_nothing_missing_is_zero(result: tuple[pd.DataFrame, list[str]]) -> None:
    values, _ = result
    assert values.loc[values["status"].isin(["x", "c", "z"]), "value"].isna().all()
    # Zero is genuine only for the decile share (no such neighbourhoods) and the two scores centred on 0.
    zeros = values[values["value"] == 0]
    assert set(zeros["indicator_id"]) <= {"imd_share_neighbourhoods_most_deprived_decile",
                                          "health_deprivation_score", "crime_deprivation_score"}


def test_values_match_the_file(result: tuple[pd.DataFrame, list[str]]) -> None:
    values, _ = result
    # Row "E06000001, Hartlepool, ..., Index of Multiple Deprivation": average_score 37.58,
    # proportion_bottom_decile 0.4211.
    assert _value(values, "E06000001", "imd_average_score") == pytest.approx(37.58)
    decile = _value(values, "E06000001", "imd_share_neighbourhoods_most_deprived_decile")
    assert decile == pytest.approx(42.11)
    # Row "E06000001, ..., Income Deprivation": average_score 0.357 -> 35.7%.
    assert _value(values, "E06000001", "income_deprivation_rate") == 35.7
    # Row "E06000001, ..., Health Deprivation and Disability": average_score 1.199.
    assert _value(values, "E06000001", "health_deprivation_score") == pytest.approx(1.199)


DOMAINS = list(dict.fromkeys(m.domain for m in MEASURES))  # the IMD feeds two measures
_HEADER = ["area_code", "area_name", "index_domain", "average_rank", "average_score",
           "proportion_bottom_decile"]


def _write(tmp_path: Path, rows: list[list[object]], header: list[str] = _HEADER) -> None:
    (tmp_path / FOLDER).mkdir(exist_ok=True)
    pd.DataFrame(rows, columns=header).to_csv(tmp_path / FOLDER / FILE, index=False)


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, [["E06000001", "Hartlepool", "Crime", 1.0, 0.5]], header=_HEADER[:-1])
    with pytest.raises(SourceError, match="proportion_bottom_decile") as err:
        read(tmp_path)
    assert FILE in err.value.path


def test_missing_domain_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, [["E06000001", "Hartlepool", d, 1.0, 0.5, 0.1] for d in DOMAINS[:-1]])
    with pytest.raises(SourceError, match="Living Environment Deprivation") as err:
        read(tmp_path)
    assert FILE in err.value.path


def test_text_in_a_score_is_an_error_naming_the_file(tmp_path: Path) -> None:
    rows = [["E06000001", "Hartlepool", d, 1.0, 0.5, 0.1] for d in DOMAINS]
    rows[0][4] = "high"
    _write(tmp_path, rows)
    with pytest.raises(SourceError, match="E06000001") as err:
        read(tmp_path)
    assert FILE in err.value.path


def test_shorthand_stays_missing(tmp_path: Path) -> None:
    rows = [["E06000001", "Hartlepool", d, 1.0, 0.5, 0.1] for d in DOMAINS]
    rows += [["E07000008", "Cambridge", d, 1.0, "[x]", ".."] for d in DOMAINS]
    rows += [["W06000001", "Anglesey", d, 1.0, 0.2, 0.1] for d in DOMAINS]
    _write(tmp_path, rows)
    values = read(tmp_path).values
    assert set(values["area_code"]) == {"E06000001", "E07000008"}
    cambridge = values[values["area_code"] == "E07000008"]
    assert cambridge["value"].isna().all() and (cambridge["status"] == "x").all()


_CELLS = st.one_of(
    st.floats(min_value=-5, max_value=100, allow_nan=False),
    st.sampled_from(["[x]", "..", ":", "-", "", "[c]", "*", "[z]"]),
    st.floats(min_value=0, max_value=1).map(lambda f: f"{f:.4f}"),
)


@given(st.lists(_CELLS, min_size=1, max_size=20), st.sampled_from(MEASURES))
def test_measure_rows_never_invent_numbers(cells: list[object], measure: object) -> None:
    frame = pd.DataFrame({"area_code": [f"E0700{i:04d}" for i in range(len(cells))],
                          measure.column: cells})  # type: ignore[attr-defined]
    rows = pd.DataFrame(measure_rows(Path("f.csv"), frame, measure))  # type: ignore[arg-type]
    for cell, (_, row) in zip(cells, rows.iterrows(), strict=True):
        if isinstance(cell, str) and not cell[:1].isdigit():
            assert math.isnan(row["value"]) and row["status"] in {"x", "c", "z"}
        else:
            expected = float(cell) * measure.scale  # type: ignore[attr-defined]
            assert row["status"] == "" and row["value"] == pytest.approx(expected, abs=1e-9)
