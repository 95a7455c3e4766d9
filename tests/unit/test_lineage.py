"""Known-answer tests of the lineage roll-up on a small synthetic register (test data, not real)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lm_core.geography import build_geography
from lm_core.lineage import harmonise
from lm_core.sources.base import IndicatorMeta, finalise_values

# Synthetic register: two districts A, B merged into unitary U in 2023; county K (districts A, B
# and a surviving district D... no: K covered exactly A and B) becomes U too; county S split.
REGISTER = pd.DataFrame(
    [
        # register_code, area_code, area_name, type, county, current, start, end, replaced_by, pop
        ("AAA", "E07000901", "Alpha", "NMD", "KKK", False, "", "2023-04-01", "UUU", 100.0),
        ("BBB", "E07000902", "Beta", "NMD", "KKK", False, "", "2023-04-01", "UUU", 300.0),
        ("KKK", "E10000901", "Kay", "CTY", "", False, "", "2023-04-01", "UUU", 400.0),
        ("UUU", "E06000901", "Unity", "UA", "", True, "2023-04-01", "", "", 400.0),
        ("SSS", "E10000902", "Split", "CTY", "", False, "", "2021-04-01", "VVV,WWW", 500.0),
        ("VVV", "E06000902", "Vee", "UA", "", True, "2021-04-01", "", "", 200.0),
        ("WWW", "E06000903", "Double-u", "UA", "", True, "2021-04-01", "", "", 300.0),
        ("DDD", "E07000903", "Delta", "NMD", "ZZZ", True, "", "", "", 50.0),
        ("ZZZ", "E10000903", "Zed", "CTY", "", True, "", "", "", 50.0),
    ],
    columns=["register_code", "area_code", "area_name", "type_code", "county_register_code", "current",
             "start_date", "end_date", "replaced_by", "population_2020"],
).assign(official_name=lambda d: d["area_name"], type_name="t", region="North", ca_register_code="",
         former_gss_codes="", area_km2=1.0, ecode="")
# The real register's Barnsley and Sheffield rows are needed by build_geography's 2025 recodes.
REGISTER = pd.concat([REGISTER, pd.DataFrame([
    {"register_code": "BNS", "area_code": "E08000016", "area_name": "Barnsley", "type_code": "MD",
     "county_register_code": "", "current": True, "start_date": "", "end_date": "", "replaced_by": "",
     "population_2020": 1.0, "official_name": "Barnsley", "type_name": "t", "region": "x",
     "ca_register_code": "", "former_gss_codes": "", "area_km2": 1.0, "ecode": ""},
    {"register_code": "SHF", "area_code": "E08000019", "area_name": "Sheffield", "type_code": "MD",
     "county_register_code": "", "current": True, "start_date": "", "end_date": "", "replaced_by": "",
     "population_2020": 1.0, "official_name": "Sheffield", "type_name": "t", "region": "x",
     "ca_register_code": "", "former_gss_codes": "", "area_km2": 1.0, "ecode": ""},
])], ignore_index=True)


def meta(rollup: str) -> IndicatorMeta:
    return IndicatorMeta(id=f"ind_{rollup}", title="T", description="d", service_area="Finance", unit="%",
                         polarity="none", role="outcome", tier="lower", publisher="p", source_url="u",
                         licence="OGL v3.0", attribution="a", caveats="", source_folder="f",
                         rollup=rollup)  # type: ignore[arg-type]


def rows(ind: str, data: list[tuple[str, float, float, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [{"area_code": c, "indicator_id": ind, "period": "2022-23", "period_start": "2022-04-01", "value": v,
          "lower": math.nan, "upper": math.nan, "numerator": n, "denominator": d, "status": s, "note": ""}
         for c, v, n, d, s in data]
    )
    return finalise_values(frame)


@pytest.fixture()
def geo():  # type: ignore[no-untyped-def]
    return build_geography(REGISTER)


def test_lineage_kinds(geo) -> None:  # type: ignore[no-untyped-def]
    kinds = dict(zip(geo.lineage["old_code"] + ">" + geo.lineage["new_code"], geo.lineage["kind"], strict=True))
    assert kinds["E07000901>E06000901"] == "merger"
    assert kinds["E10000901>E06000901"] == "recode"  # the county covered exactly Unity's ground
    assert kinds["E10000902>E06000902"] == "split"
    assert kinds["E08000038>E08000016"] == "recode"


def test_rates_recalculated_from_summed_parts(geo) -> None:  # type: ignore[no-untyped-def]
    m = meta("weighted")
    # Alpha 10/100 = 10 %, Beta 90/300 = 30 %: the successor is 100/400 = 25 %, not the plain mean 20 %.
    out = harmonise(rows(m.id, [("E07000901", 10.0, 10, 100, ""), ("E07000902", 30.0, 90, 300, "")]),
                    {m.id: m}, geo).values
    unity = out[out["area_code"] == "E06000901"].iloc[0]
    assert unity["value"] == pytest.approx(25.0)
    assert unity["numerator"] == 100 and unity["denominator"] == 400


def test_rates_population_weighted_without_parts(geo) -> None:  # type: ignore[no-untyped-def]
    m = meta("weighted")
    # Populations 100 and 300: (10*100 + 30*300) / 400 = 25.
    out = harmonise(rows(m.id, [("E07000901", 10.0, math.nan, math.nan, ""),
                                ("E07000902", 30.0, math.nan, math.nan, "")]), {m.id: m}, geo).values
    unity = out[out["area_code"] == "E06000901"].iloc[0]
    assert unity["value"] == pytest.approx(25.0)
    assert "population-weighted" in unity["note"]


def test_counts_summed_and_medians_refused(geo) -> None:  # type: ignore[no-untyped-def]
    s, n = meta("sum"), meta("none")
    data = [("E07000901", 7.0, math.nan, math.nan, ""), ("E07000902", 5.0, math.nan, math.nan, "")]
    summed = harmonise(rows(s.id, data), {s.id: s}, geo).values
    assert summed.loc[summed["area_code"] == "E06000901", "value"].iloc[0] == 12.0
    refused = harmonise(rows(n.id, data), {n.id: n}, geo).values.set_index("area_code")
    assert math.isnan(refused.at["E06000901", "value"]) and refused.at["E06000901", "status"] == "x"
    assert "cannot be combined" in refused.at["E06000901", "note"]


def test_missing_or_suppressed_predecessor_is_never_zero(geo) -> None:  # type: ignore[no-untyped-def]
    m = meta("sum")
    only_one = harmonise(rows(m.id, [("E07000901", 7.0, math.nan, math.nan, "")]), {m.id: m}, geo)
    unity = only_one.values.set_index("area_code").loc["E06000901"]
    assert math.isnan(unity["value"]) and "E07000902" in unity["note"]
    supp = harmonise(rows(m.id, [("E07000901", 7.0, math.nan, math.nan, ""),
                                 ("E07000902", math.nan, math.nan, math.nan, "c")]), {m.id: m}, geo)
    assert supp.values.set_index("area_code").at["E06000901", "status"] == "c"


def test_published_successor_wins_and_split_is_explained(geo) -> None:  # type: ignore[no-untyped-def]
    m = meta("weighted")
    data = [("E07000901", 10.0, math.nan, math.nan, ""), ("E07000902", 30.0, math.nan, math.nan, ""),
            ("E06000901", 99.0, math.nan, math.nan, ""), ("E10000902", 5.0, math.nan, math.nan, ""),
            ("E08000038", 4.0, math.nan, math.nan, ""), ("E99999999", 1.0, math.nan, math.nan, "")]
    result = harmonise(rows(m.id, data), {m.id: m}, geo)
    out = result.values.set_index("area_code")
    assert out.at["E06000901", "value"] == 99.0
    assert out.at["E06000902", "status"] == "x" and "split" in out.at["E06000902", "note"]
    assert out.at["E08000016", "value"] == 4.0
    assert "E99999999" not in out.index
    assert any("E99999999" in line for line in result.log)


def test_true_zero_numerator_still_summed(geo) -> None:  # type: ignore[no-untyped-def]
    m = meta("weighted")
    # Alpha 0/100 = 0 per 1,000, Beta 3/300 = 10 per 1,000: successor 3/400 = 7.5 per 1,000.
    out = harmonise(rows(m.id, [("E07000901", 0.0, 0, 100, ""), ("E07000902", 10.0, 3, 300, "")]),
                    {m.id: m}, geo).values
    assert out.set_index("area_code").at["E06000901", "value"] == pytest.approx(7.5)
