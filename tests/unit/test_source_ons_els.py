"""ONS Explore Local Statistics reader: real files, malformed files, and the period-label parser."""

from __future__ import annotations

import json
import math
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lm_core.paths import default_sources_dir
from lm_core.sources import ons_els
from lm_core.sources.base import SERVICE_AREAS, SourceError, SourceResult

SOURCES = default_sources_dir()
FOLDER = SOURCES / ons_els.FOLDER
HEADER = "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes"

# Minimum councils with a value in the latest period: (district/unitary/borough codes, county codes).
MIN_COVERAGE: dict[str, tuple[int, int]] = {
    "adult_obesity_prevalence": (290, 21),
    "healthy_life_expectancy_female": (125, 21),
    "healthy_life_expectancy_male": (125, 21),
    "preventable_cardiovascular_mortality": (285, 21),
    "cancer_diagnosed_early_stage": (200, 15),
    "adult_smoking_prevalence": (300, 0),
    "children_relative_poverty_ahc": (295, 21),
    "children_relative_poverty_bhc": (295, 21),
    "early_years_communication_language": (295, 21),
    "early_years_literacy": (295, 21),
    "early_years_mathematics": (295, 21),
    "ks2_reading_writing_maths_expected": (295, 21),
    "gcse_english_maths_by_19": (295, 21),
    "persistent_absence_rate": (130, 21),
    "fe_skills_participation_rate": (295, 21),
    "fe_skills_achievement_rate": (295, 21),
    "apprenticeship_starts_rate": (295, 21),
    "apprenticeship_achievements_rate": (295, 21),
    "net_additional_dwellings_rate": (295, 21),
    "greenhouse_gas_emissions_per_person": (295, 21),
    "public_ev_chargers_rate": (295, 21),
    "gigabit_broadband_coverage": (295, 21),
    "library_within_30_min_walk": (295, 21),
    "culture_engaged_with_arts": (295, 0),
    "culture_visited_heritage_site": (295, 0),
    "culture_visited_museum_gallery": (295, 0),
    "culture_visited_public_library": (295, 0),
    "wellbeing_life_satisfaction": (295, 21),
    "wellbeing_happiness": (295, 21),
    "wellbeing_worthwhile": (295, 21),
    "wellbeing_anxiety": (295, 21),
    "median_weekly_pay_residents": (290, 21),
    "gdhi_per_head": (295, 21),
    "employment_rate": (290, 21),
    "economic_inactivity_rate": (290, 21),
    "qualifications_level3_or_above": (290, 21),
    "qualifications_none": (200, 15),
    "housing_affordability_ratio": (290, 21),
}
CONTEXT = {
    "median_weekly_pay_residents", "gdhi_per_head", "employment_rate", "economic_inactivity_rate",
    "qualifications_level3_or_above", "qualifications_none", "housing_affordability_ratio",
}


@pytest.fixture(scope="module")
def timed() -> tuple[SourceResult, float]:
    if not FOLDER.is_dir():
        pytest.skip(f"ELS folder not found at {FOLDER} (set LM_SOURCES to the data-sources folder)")
    started = time.perf_counter()
    out = ons_els.read(SOURCES)
    return out, time.perf_counter() - started


@pytest.fixture(scope="module")
def result(timed: tuple[SourceResult, float]) -> SourceResult:
    return timed[0]


def _row(result: SourceResult, area: str, indicator: str, period: str) -> pd.Series:
    v = result.values
    rows = v[(v["area_code"] == area) & (v["indicator_id"] == indicator) & (v["period"] == period)]
    assert len(rows) == 1, f"expected one row for {area} {indicator} {period}, got {len(rows)}"
    return rows.iloc[0]


# ---------------------------------------------------------------------------- real data


def test_reads_every_series_quickly(timed: tuple[SourceResult, float]) -> None:
    out, seconds = timed
    assert seconds < 30  # about 3 s on an idle machine; generous for a busy CI runner
    assert {m.id for m in out.indicators} == set(MIN_COVERAGE)
    assert set(out.values["indicator_id"]) == set(MIN_COVERAGE)


def test_catalogue(result: SourceResult) -> None:
    ids = [m.id for m in result.indicators]
    assert len(ids) == len(set(ids)) == 38
    source_md = (FOLDER / "SOURCE.md").read_text(encoding="utf-8")
    for m in result.indicators:
        assert m.service_area in SERVICE_AREAS
        assert m.role == ("context" if m.id in CONTEXT else "outcome"), m.id
        assert m.attribution in source_md
        assert m.source_url.startswith("https://")
        assert m.caveats and m.description.endswith(".")
        assert m.title[0].isupper()
    meta = {m.id: m for m in result.indicators}
    assert meta["wellbeing_anxiety"].polarity == "lower_better"
    assert meta["children_relative_poverty_ahc"].polarity == "lower_better"
    assert meta["housing_affordability_ratio"].unit == "ratio"
    assert meta["housing_affordability_ratio"].rollup == "none"
    assert meta["median_weekly_pay_residents"].rollup == "none"
    assert meta["persistent_absence_rate"].tier == "upper"
    assert meta["culture_visited_public_library"].tier == "lower"
    # Producer and decimals come from the per-file JSON.
    assert meta["early_years_literacy"].publisher.startswith("Department for Education")
    assert meta["apprenticeship_starts_rate"].decimals == 0


def test_tiers_match_the_data(result: SourceResult) -> None:
    v = result.values
    for m in result.indicators:
        codes = v.loc[v["indicator_id"] == m.id, "area_code"]
        has_county = codes.str.startswith("E10").any()
        has_district = codes.str.startswith("E07").any()
        expected = "both" if has_county and has_district else ("upper" if has_county else "lower")
        assert m.tier == expected, m.id


def test_coverage_of_latest_period(result: SourceResult) -> None:
    v = result.values
    for indicator, (low, counties) in MIN_COVERAGE.items():
        rows = v[(v["indicator_id"] == indicator) & v["value"].notna()]
        latest = rows[rows["period_start"] == rows["period_start"].max()]
        codes = latest["area_code"]
        assert codes.str[:3].isin(["E06", "E07", "E08", "E09"]).sum() >= low, indicator
        assert codes.str.startswith("E10").sum() >= counties, indicator


def test_only_councils_and_england(result: SourceResult) -> None:
    codes = result.values["area_code"]
    assert (codes.str[:3].isin(list(ons_els.COUNCIL_PREFIXES)) | (codes == "E92000001")).all()
    assert not codes.str.startswith("E67").any()
    assert (codes == "E92000001").any()


def test_missing_is_never_zero(result: SourceResult) -> None:
    v = result.values
    assert v.loc[v["status"].isin(["x", "c", "z"]), "value"].isna().all()
    assert v.loc[v["status"].isin(["", "u"]), "value"].notna().all()
    # Published zeros exist only where the file prints 0: net additions rounded to whole homes per 1,000,
    # and City of London persistent absence 2006/07 ("0.0" in the file).
    zeros = v[v["value"] == 0]
    assert set(zeros["indicator_id"]) <= {"net_additional_dwellings_rate", "persistent_absence_rate"}
    assert (zeros["status"] == "").all()


def test_periods_sort_like_their_start_dates(result: SourceResult) -> None:
    for indicator, rows in result.values.groupby("indicator_id"):
        pairs = rows.drop_duplicates(["period", "period_start"]).sort_values("period_start")
        assert pairs["period"].is_unique and pairs["period_start"].is_unique, indicator
        assert list(pairs["period"]) == sorted(pairs["period"]), indicator


def test_values_checked_by_hand(result: SourceResult) -> None:
    # gcses-in-english-and-maths.csv: E07000117 Burnley, 2024-09-01/P1Y, observation 65.833
    assert _row(result, "E07000117", "gcse_english_maths_by_19", "2024/25")["value"] == pytest.approx(65.833)
    # personal-wellbeing-estimates.csv line 62 (measure comes before observation): Hartlepool, Anxiety,
    # 2022-04-01/P1Y, observation 3.48, lci 3.04, uci 3.92
    row = _row(result, "E06000001", "wellbeing_anxiety", "2022-23")
    assert (row["value"], row["lower"], row["upper"]) == pytest.approx((3.48, 3.04, 3.92))
    # gross-median-weekly-pay.csv line 2369: Birmingham 2025-04-30, 601.4 (577.82512 to 624.97488)
    row = _row(result, "E08000025", "median_weekly_pay_residents", "2025")
    assert (row["value"], row["lower"], row["upper"]) == pytest.approx((601.4, 577.82512, 624.97488))
    assert row["period_start"] == "2025-04-30"
    # housing-affordability-ratio.csv line 3586: Cambridgeshire 2025-04-01, 8.4
    assert _row(result, "E10000003", "housing_affordability_ratio", "2025")["value"] == pytest.approx(8.4)
    # healthy-life-expectancy.csv: Barnsley only on its 2025 code E08000038, male 2022-01-01/P3Y,
    # 55.2 (51.6 to 58.8)
    row = _row(result, "E08000038", "healthy_life_expectancy_male", "2022-2024")
    assert (row["value"], row["lower"], row["upper"]) == pytest.approx((55.2, 51.6, 58.8))


def test_status_codes(result: SourceResult) -> None:
    # City of London pay 2022: status "u" with a blank observation -> not available.
    row = _row(result, "E09000001", "median_weekly_pay_residents", "2022")
    assert row["status"] == "x" and math.isnan(row["value"])
    # Cambridge, no qualifications 2023: 3.2 with the note "unreliable since the group sample size is small".
    row = _row(result, "E07000008", "qualifications_none", "2023")
    assert row["status"] == "u" and row["value"] == pytest.approx(3.2)
    # Isles of Scilly apprenticeship starts 2020/21: "u", blank, "Observation suppressed ... fewer than 5".
    row = _row(result, "E06000053", "apprenticeship_starts_rate", "2020/21")
    assert row["status"] == "c" and math.isnan(row["value"])


def test_combined_areas(result: SourceResult) -> None:
    # preventable-cardiovascular-mortality-england.csv line 4280: E67000001 "City of London, Hackney",
    # 2022-01-01/P3Y, 41.2507030136426, status "Value for Hackney and City of London combined".
    hackney = _row(result, "E09000012", "preventable_cardiovascular_mortality", "2022-2024")
    assert hackney["value"] == pytest.approx(41.2507030136426)
    assert "combined" in hackney["note"]
    city = _row(result, "E09000001", "preventable_cardiovascular_mortality", "2022-2024")
    assert city["status"] == "x" and math.isnan(city["value"])
    assert city["note"] == "published combined with Hackney"
    scilly = _row(result, "E06000053", "cancer_diagnosed_early_stage", "2022")
    assert scilly["status"] == "x" and scilly["note"] == "published combined with Cornwall"


def test_barnsley_and_sheffield_keep_the_2024_code(result: SourceResult) -> None:
    v = result.values
    ghg = v[v["indicator_id"] == "greenhouse_gas_emissions_per_person"]
    assert not ghg["area_code"].isin(["E08000038", "E08000039"]).any()
    # greenhouse-gas-emissions.csv line 1360: Barnsley E08000016 2023-01-01/P1Y 4.65 (same on E08000038)
    assert _row(result, "E08000016", "greenhouse_gas_emissions_per_person", "2023")["value"] == 4.65
    assert any("dropped 38 rows on 2025 codes" in line for line in result.log)
    # Early years: 2024/25 is published only on the 2025 code, so that row is kept.
    assert _row(result, "E08000038", "early_years_literacy", "2024/25")["value"] == pytest.approx(69.2)


# ---------------------------------------------------------------------------- malformed files


def _write(root: Path, slug: str, lines: list[str], metadata: str | None = None) -> Path:
    folder = root / ons_els.FOLDER / slug
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if metadata is not None:
        (folder / f"{slug}.json").write_text(metadata, encoding="utf-8")
    return path


FIRST = ons_els.SERIES[0]  # the reader opens files in table order, so a fault here is met first


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=ons_els.FOLDER):
        ons_els.read(tmp_path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    (tmp_path / ons_els.FOLDER).mkdir()
    with pytest.raises(SourceError, match=f"{FIRST.slug}.csv: file not found"):
        ons_els.read(tmp_path)


def test_missing_column_is_named(tmp_path: Path) -> None:
    header = HEADER.replace(",observation", "")
    row = f"E06000001,Hartlepool,x,{FIRST.name},2024-11-16/P1Y,Percentage,%,,,,"
    _write(tmp_path, FIRST.slug, [header, row])
    with pytest.raises(SourceError, match=r"adult-obesity-prevalence\.csv: columns missing: observation"):
        ons_els.read(tmp_path)


def test_unknown_status_and_bad_period(tmp_path: Path) -> None:
    row = f"E06000001,Hartlepool,x,{FIRST.name},2024-11-16/P1Y,30,Percentage,%,,,q,"
    _write(tmp_path, FIRST.slug, [HEADER, row])
    with pytest.raises(SourceError, match=r"\.csv: unknown status codes \['q'\]"):
        ons_els.read(tmp_path)
    bad_period = row.replace("2024-11-16/P1Y", "2024-11-16/1Y").replace(",q,", ",,")
    _write(tmp_path, FIRST.slug, [HEADER, bad_period])
    with pytest.raises(SourceError, match=r"\.csv: period '2024-11-16/1Y' not understood"):
        ons_els.read(tmp_path)


def test_missing_indicator_and_bad_json(tmp_path: Path) -> None:
    _write(tmp_path, FIRST.slug, [HEADER, "E06000001,Hartlepool,x,Something else,2024-11-16/P1Y,30,P,%,,,,"])
    with pytest.raises(SourceError, match="no rows for indicator"):
        ons_els.read(tmp_path)
    row = f"E06000001,Hartlepool,x,{FIRST.name},2024-11-16/P1Y,30,Percentage,%,,,,"
    _write(tmp_path, FIRST.slug, [HEADER, row], metadata="{not json")
    with pytest.raises(SourceError, match=r"adult-obesity-prevalence\.json: not the expected ELS metadata"):
        ons_els.read(tmp_path)


def test_synthetic_file_statuses_and_vintages(tmp_path: Path) -> None:
    """One small file exercising shorthand, both Barnsley codes and a combined pair."""
    cvd = next(s for s in ons_els.SERIES if s.id == "preventable_cardiovascular_mortality")
    name = cvd.name
    lines = [
        HEADER,
        f"E08000016,Barnsley,LAD,{name},2022-01-01/P3Y,40,R,R,35,45,,",
        f"E08000038,Barnsley,LAD,{name},2022-01-01/P3Y,40.0,R,R,35,45,,",
        f"E08000038,Barnsley,LAD,{name},2021-01-01/P3Y,41,R,R,,,,",
        f"E07000008,Cambridge,LAD,{name},2022-01-01/P3Y,[x],R,R,,,,",
        f"E07000009,East Cambs,LAD,{name},2022-01-01/P3Y,,R,R,,,x,",
        f"E07000010,Fenland,LAD,{name},2022-01-01/P3Y,12,R,R,1,20,u,",
        f'E67000001,"City of London, Hackney",LAD,{name},2022-01-01/P3Y,50,R,R,45,55,'
        "Value for Hackney and City of London combined,",
        f"E12000001,North East,Region,{name},2022-01-01/P3Y,38,R,R,,,,",
    ]
    meta = {"ess-beta-metadata": {"label": name, "sourceOrg": "OHID", "sourceURL": "https://example.org",
                                  "decimalPlaces": 2, "caveats": "A caveat. [Link](https://x) here."}}
    _write(tmp_path, cvd.slug, lines, json.dumps(meta))
    frame, metas, log = ons_els._read_file(tmp_path / ons_els.FOLDER, cvd.slug, [cvd])
    got = frame.set_index(["area_code", "period"])
    assert ("E08000038", "2022-2024") not in got.index  # duplicate of the 2024-coded row
    assert got.loc[("E08000038", "2021-2023"), "value"] == 41  # only on the 2025 code: kept
    assert got.loc[("E07000008", "2022-2024"), "status"] == "x"
    assert got.loc[("E07000009", "2022-2024"), "status"] == "x"
    assert got.loc[("E07000010", "2022-2024"), "status"] == "u"
    assert got.loc[("E09000012", "2022-2024"), "value"] == 50
    assert got.loc[("E09000001", "2022-2024"), "status"] == "x"
    assert "E12000001" not in set(frame["area_code"])
    assert metas[0].decimals == 2 and metas[0].publisher.startswith("OHID")
    assert "Link here" in metas[0].caveats
    assert any("dropped 1 rows on 2025 codes" in line for line in log)


# ---------------------------------------------------------------------------- period labels


@pytest.mark.parametrize(
    ("text", "as_year", "label", "start"),
    [
        ("2024-04-01/P1Y", False, "2024-25", "2024-04-01"),
        ("2024-09-01/P1Y", False, "2024/25", "2024-09-01"),
        ("2019-08-01/P1Y", False, "2019/20", "2019-09-01"),
        ("2022-01-01/P3Y", False, "2022-2024", "2022-01-01"),
        ("2019-01-01/P5Y", False, "2019-2023", "2019-01-01"),
        ("2023-01-01/P1Y", False, "2023", "2023-01-01"),
        ("2024-05-15", False, "2024-05-15", "2024-05-15"),
        ("2025-04-30", True, "2025", "2025-04-30"),
        ("2015-11-16/P1Y", False, "2015-11 to 2016-11", "2015-11-16"),
        ("2024-03-01/P1M", False, "2024-03", "2024-03-01"),
        ("2024-01-01/P3M", False, "2024-01 to 2024-03", "2024-01-01"),
        ("2024-03-04/P1W", False, "2024-03-04 to 2024-03-10", "2024-03-04"),
        ("1999-12-31/P1D", False, "1999-12-31", "1999-12-31"),
    ],
)
def test_period_examples(text: str, as_year: bool, label: str, start: str) -> None:
    assert ons_els.period_label(text, as_year) == (label, start)


@pytest.mark.parametrize(
    "text", ["2024-13-01/P1Y", "2024-04-01/1Y", "2024-04-01/P0Y", "24-04-01", "2024-04-01/PT1H"]
)
def test_period_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        ons_els.period_label(text)


durations = st.tuples(
    st.integers(0, 6), st.integers(0, 11), st.integers(0, 3), st.integers(0, 40)
).filter(any).map(lambda t: "P" + "".join(f"{n}{u}" for n, u in zip(t, "YMWD", strict=True) if n))


@given(st.dates(date(1900, 1, 1), date(2099, 12, 31)), st.none() | durations, st.booleans())
def test_any_start_and_duration_gives_a_label(start: date, duration: str | None, as_year: bool) -> None:
    text = start.isoformat() + (f"/{duration}" if duration else "")
    label, start_text = ons_els.period_label(text, as_year)
    assert label and label[:4] == str(start.year)
    assert abs((date.fromisoformat(start_text) - start).days) <= 31


@given(
    st.integers(1, 12), st.integers(1, 28), st.none() | durations, st.booleans(),
    st.lists(st.integers(1900, 2099), min_size=2, max_size=8, unique=True),
)
def test_labels_sort_like_start_dates(
    month: int, day: int, duration: str | None, as_year: bool, years: list[int]
) -> None:
    """Within one indicator (same shape of period, different years) labels sort as their starts."""
    parsed = [
        ons_els.period_label(date(y, month, day).isoformat() + (f"/{duration}" if duration else ""), as_year)
        for y in years
    ]
    by_start = [label for label, _ in sorted(parsed, key=lambda p: p[1])]
    assert by_start == sorted(label for label, _ in parsed)
    assert len({label for label, _ in parsed}) == len(years)
