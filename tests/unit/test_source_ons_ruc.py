"""RUC2021 district reader: real file, malformed files, and the class-code decoder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources.base import SourceError
from lm_core.sources.ons_ruc import ACCESS, BANDS, FILE, FOLDER, decode_ruc, expected_name, read

CODES = [band + access for band in BANDS for access in ACCESS]


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


def test_all_296_districts(values: pd.DataFrame) -> None:
    for ind in ("rural_share_band_2021", "further_from_major_town_2021"):
        rows = values[(values["indicator_id"] == ind) & values["value"].notna()]
        assert len(rows) == 296
        assert not rows["area_code"].str.startswith("W").any()
    # SOURCE.md counts: UUN 170 + UUF 3 urban; UUF 3 + UIF 7 + RIF 10 + RMF 16 further away.
    band = values[values["indicator_id"] == "rural_share_band_2021"]["value"].value_counts()
    assert band.to_dict() == {0.0: 173, 1.0: 44, 2.0: 37, 3.0: 42}
    further = values[values["indicator_id"] == "further_from_major_town_2021"]["value"].sum()
    assert further == 36


def test_no_missing_value_is_zero(values: pd.DataFrame) -> None:
    assert (values["status"] == "").all() and values["value"].notna().all()


def test_values_match_the_file(values: pd.DataFrame) -> None:
    # Row "E06000017,Rutland,RMF,Majority rural: Majority further from a major town or city,Rural".
    assert _value(values, "E06000017", "rural_share_band_2021") == 3
    assert _value(values, "E06000017", "further_from_major_town_2021") == 1
    # Row "E06000001,Hartlepool,UUN,Urban: Majority nearer to a major town or city,Urban".
    assert _value(values, "E06000001", "rural_share_band_2021") == 0
    assert _value(values, "E06000001", "further_from_major_town_2021") == 0
    note = values.loc[values["area_code"] == "E06000017", "note"].iloc[0]
    assert note == "RMF Majority rural: Majority further from a major town or city"


def _write(tmp_path: Path, rows: list[list[str]], header: list[str] | None = None) -> None:
    (tmp_path / FOLDER).mkdir(exist_ok=True)
    cols = header or ["LAD24CD", "LAD24NM", "RUC21CD", "RUC21NM", "Urban_rural_flag", "ObjectId"]
    pd.DataFrame(rows, columns=cols).to_csv(tmp_path / FOLDER / FILE, index=False)


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, [["E06000001", "Hartlepool", "UUN", "Urban"]], ["LAD24CD", "LAD24NM", "RUC21CD", "x"])
    with pytest.raises(SourceError, match="RUC21NM") as err:
        read(tmp_path)
    assert FILE in err.value.path


def test_unknown_class_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, [["E06000001", "Hartlepool", "UXN", "Urban: Majority nearer", "Urban", "1"]])
    with pytest.raises(SourceError, match="UXN") as err:
        read(tmp_path)
    assert FILE in err.value.path


def test_class_that_contradicts_its_name_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, [["E06000001", "Hartlepool", "RMF", expected_name("UUN"), "Rural", "1"]])
    with pytest.raises(SourceError, match="does not match"):
        read(tmp_path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        read(tmp_path)


@given(st.sampled_from(CODES), st.sampled_from([str.upper, str.lower, lambda s: f" {s} "]))
def test_decode_valid_codes(code: str, spell: object) -> None:
    band, further = decode_ruc(spell(code))  # type: ignore[operator]
    assert band == list(BANDS).index(code[:2])
    assert further == (code[2] == "F")
    # Bands are ordered by the share of residents in rural areas.
    names = ("Urban", "Intermediate urban", "Intermediate rural", "Majority rural")
    assert expected_name(code).startswith(names[band])


@given(st.text(max_size=6).filter(lambda t: t.strip().upper() not in CODES))
def test_decode_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="RUC2021"):
        decode_ruc(text)
