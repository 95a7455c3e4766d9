"""Maps: boundaries, the table behind a map, its colourings, and exports (small fixtures built by code)."""

from __future__ import annotations

import csv
import io
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lm_core import compare, maps, peers
from lm_core.build import load_processed
from lm_core.frames import records
from lm_core.peer_groups import lens_weights, tier_context
from lm_core.peers import load_config

EXPECTED_FEATURES = {"lower": 296, "upper": 153}


@pytest.fixture(scope="module")
def processed() -> dict[str, pd.DataFrame]:
    return load_processed()


# ---------------------------------------------------------------- boundaries


@pytest.mark.parametrize("tier", maps.TIERS)
def test_every_current_authority_has_one_valid_polygon(tier: str, processed: dict[str, pd.DataFrame]) -> None:
    gdf = gpd.read_file(maps.BOUNDARY_FILES[tier])
    auth = processed["authorities"]
    expected = set(auth.loc[auth[f"is_{tier}"], "area_code"])
    assert len(gdf) == EXPECTED_FEATURES[tier] == len(expected)
    assert gdf["area_code"].is_unique
    assert set(gdf["area_code"]) == expected
    assert gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert not gdf.geometry.is_empty.any()
    minx, miny, maxx, maxy = gdf.total_bounds  # EPSG:4326 lon/lat, England only
    assert minx > -6.5 and maxx < 2.0 and miny > 49.8 and maxy < 56.0
    # Vega wants clockwise exterior rings, or the map fills with one colour.
    rings = [p.exterior for g in gdf.geometry for p in shapely.get_parts(g)]
    assert not any(r.is_ccw for r in rings)


@pytest.mark.parametrize("tier", maps.TIERS)
def test_every_boundary_polygon_is_valid(tier: str) -> None:
    gdf = gpd.read_file(maps.BOUNDARY_FILES[tier])
    invalid = gdf.loc[~gdf.geometry.is_valid, "area_code"]
    assert invalid.empty, f"invalid polygons: {', '.join(invalid)}"


# ---------------------------------------------------------------- a small fixture


def tiny_authorities() -> pd.DataFrame:
    """Six districts and unitaries plus one county, as the store holds them."""
    rows = [
        ("E06000001", "Alpha", True, True), ("E07000008", "Bravo", True, False),
        ("E07000009", "Charlie", True, False), ("E07000010", "Delta", True, False),
        ("E07000011", "Echo", True, False), ("E06000002", "Foxtrot", True, True),
        ("E10000003", "Shire County", False, True),
    ]
    return pd.DataFrame({"area_code": [r[0] for r in rows], "area_name": [r[1] for r in rows],
                         "is_lower": [r[2] for r in rows], "is_upper": [r[3] for r in rows],
                         "region": ["North East"] * 3 + ["London"] * 3 + ["South East"]})


def tiny_values(indicator_id: str = "ind") -> pd.DataFrame:
    """One figure each, a suppressed one, a blank [x], a [z], and a missing row (Echo)."""
    rows = [("E06000001", 10.0, ""), ("E07000008", np.nan, "c"), ("E07000009", np.nan, "x"),
            ("E07000010", np.nan, "z"), ("E06000002", 0.0, ""), ("E10000003", 5.0, ""),
            ("E92000001", 7.0, "")]
    frame = pd.DataFrame({"area_code": [r[0] for r in rows], "value": [r[1] for r in rows],
                          "status": [r[2] for r in rows]})
    older = frame.assign(value=frame["value"] + 1, period="2022-23", period_start="2022-04-01")
    return pd.concat([older, frame.assign(period="2023-24", period_start="2023-04-01")]).assign(
        indicator_id=indicator_id, note="")


INDICATOR = {"id": "ind", "title": "Test rate", "unit": "%", "decimals": 1, "polarity": "none", "tier": "both"}


def test_map_table_gives_each_missing_state_and_never_a_zero() -> None:
    table = maps.map_table(tiny_values(), INDICATOR, tiny_authorities(), "lower")
    state = dict(zip(table["area_code"], table["state"], strict=True))
    assert state == {"E06000001": "value", "E07000008": "c", "E07000009": "x", "E07000010": "z",
                     "E07000011": "x", "E06000002": "value"}  # the county is not on the lower-tier map
    assert table.loc[table["state"] != "value", "value"].isna().all()
    assert table.loc[table["area_code"] == "E06000002", "value"].item() == 0.0  # a true zero stays a zero
    assert set(table["period"]) == {"2023-24"}  # latest by default
    assert maps.map_table(tiny_values(), INDICATOR, tiny_authorities(), "lower", "2022-23")["value"].iloc[0] == 11.0
    assert maps.periods(tiny_values(), "ind") == ["2022-23", "2023-24"]


def test_service_of_the_other_tier_is_not_applicable() -> None:
    county_service = {**INDICATOR, "tier": "upper"}
    values = tiny_values()
    values = values[values["area_code"].str.startswith(("E06", "E10", "E92"))]
    table = maps.map_table(values, county_service, tiny_authorities(), "lower")
    by_code = table.set_index("area_code")
    assert (by_code.loc[["E07000008", "E07000009", "E07000010", "E07000011"], "state"] == "z").all()
    assert not by_code.loc["E07000011", "applies"]
    district_service = {**INDICATOR, "tier": "lower"}
    values = tiny_values()
    upper = maps.map_table(values[values["area_code"] != "E10000003"], district_service, tiny_authorities(), "upper")
    assert upper.set_index("area_code").loc["E10000003", "state"] == "z"  # a county on a district service


def test_missing_states_have_their_own_colours_and_legend_entries() -> None:
    table = maps.map_table(tiny_values(), INDICATOR, tiny_authorities(), "lower")
    fill, colouring = maps.colour_by_value(table, INDICATOR)
    legend = dict(zip(colouring.domain, colouring.range, strict=True))
    for label, colour, _, _ in maps.STATES.values():
        assert legend[label] == colour
    state_colours = [c for _, c, _, _ in maps.STATES.values()]
    assert len(set(state_colours)) == 3
    value_colours = [legend[d] for d in colouring.domain if d not in {s[0] for s in maps.STATES.values()}]
    assert not set(state_colours) & set(value_colours)
    by_code = dict(zip(table["area_code"], fill, strict=True))
    assert by_code["E07000008"] == "Suppressed [c]"
    assert by_code["E07000009"] == by_code["E07000011"] == "No data [x]"
    assert by_code["E07000010"] == "Not applicable [z]"
    assert "Quintiles" in " ".join(colouring.title)  # the legend states its binning method

    data = maps.chart_table(table, fill, INDICATOR)
    spec = maps.choropleth(data, colouring, "lower", "Test")
    legend = spec["datasets"]["legend"]  # the colour scale reads its domain and range from these rows
    assert [r["label"] for r in legend] == colouring.domain and [r["colour"] for r in legend] == colouring.range
    letters = {r["letter"] for r in spec["datasets"]["letters"]}
    assert letters == {"x", "c", "z"}  # colour is not the only signal
    values_shown = {r["area_code"]: r["value_text"] for r in spec["datasets"]["councils"]}
    assert values_shown["E07000008"] == "Suppressed [c]" and values_shown["E06000002"] == "0.0%"


def test_quintile_breaks_known_answer() -> None:
    # numpy linear quantiles of 1..10 at 20/40/60/80%: 2.8, 4.6, 6.4, 8.2 -> rounded to whole numbers
    assert maps.quantile_breaks(np.arange(1, 11), 0) == [3.0, 5.0, 6.0, 8.0]
    assert maps.quantile_breaks([4.0, 4.0, 4.0], 1) == []  # one value: no breaks, one band


# ---------------------------------------------------------------- peers and the difference colouring


def line_tier(n: int = 24) -> pd.DataFrame:
    """Councils on a line: each one's nearest neighbours are the councils either side of it."""
    codes = [f"E07{i:06d}" for i in range(n)]
    return pd.DataFrame({"v": np.arange(n, dtype=float)}, index=codes)


def test_tier_peers_match_peers_nearest_on_real_data(processed: dict[str, pd.DataFrame]) -> None:
    config = load_config()
    for tier in maps.TIERS:
        ctx = tier_context(processed["values"], processed["indicators"], processed["authorities"], tier, config)
        weights = lens_weights(config, "overall")
        tp = maps.tier_peers(ctx.z, weights)
        for code in ctx.z.index[::7]:
            expected = peers.nearest(ctx.z, weights, code, maps.PEERS_K)
            assert maps.peer_codes(tp, code) == list(expected["area_code"])
            sim = maps.similarity_to(tp, code)
            assert np.allclose(sim[expected["area_code"]].to_numpy(), expected["similarity"].to_numpy())


def test_peer_bands_agree_with_compare_typical_range(processed: dict[str, pd.DataFrame]) -> None:
    config = load_config()
    ctx = tier_context(processed["values"], processed["indicators"], processed["authorities"], "lower", config)
    tp = maps.tier_peers(ctx.z, lens_weights(config, "overall"))
    meta = processed["indicators"].set_index("id", drop=False).loc["household_recycling_rate"].to_dict()
    values = processed["values"]
    table = maps.compare_with_peers(maps.map_table(values, meta, processed["authorities"], "lower"), tp, meta)
    by_code = table.set_index("area_code")
    for code in list(by_code.index[::11]):
        peer_vals = by_code.loc[maps.peer_codes(tp, code)]
        band = compare.typical_range(peer_vals.loc[peer_vals["state"] == "value", "value"])
        assert band is not None
        assert by_code.at[code, "peer_median"] == pytest.approx(band.median)
        assert by_code.at[code, "spread"] == pytest.approx(band.spread)
        if by_code.at[code, "state"] == "value":
            d = compare.mad_distance(by_code.at[code, "value"], band)
            assert by_code.at[code, "label"].startswith(compare.label_for(d, meta["polarity"]))


def test_difference_is_centred_on_zero_and_symmetric() -> None:
    assert maps._diff_class(0.0) == 3
    for d in (0.3, 0.5, 0.51, 1.5, 2.0, 3.0, 3.1, 9.0):
        assert maps._diff_class(d) - 3 == 3 - maps._diff_class(-d)
    assert [maps._diff_class(d) for d in (0.5, 0.51, 1.5, 1.51, 3.0, 3.01)] == [3, 4, 4, 5, 5, 6]
    names, colours = maps.difference_names("none")
    assert len(names) == len(colours) == 7 and names[3] == "in line with similar councils"

    tier = line_tier()
    tp = maps.tier_peers(tier, {"v": 1.0}, k=6)
    table = pd.DataFrame({"area_code": tier.index, "area_name": tier.index, "region": "X", "period": "2024",
                          "value": 50.0, "status": "", "state": "value", "applies": True})
    table.loc[5, "value"] = 80.0  # far above its peers, whose median is 50
    compared = maps.compare_with_peers(table, tp, INDICATOR)
    fill, colouring = maps.colour_by_difference(compared, INDICATOR)
    assert fill.iloc[0] == "in line with similar councils"  # equal to its peer median: the centre class
    assert fill.iloc[5] == "much higher"
    assert colouring.range[colouring.domain.index("in line with similar councils")] == colouring.range[3]


def test_better_worse_words_only_with_a_polarity() -> None:
    tier = line_tier()
    tp = maps.tier_peers(tier, {"v": 1.0}, k=6)
    table = pd.DataFrame({"area_code": tier.index, "area_name": tier.index, "region": "X", "period": "2024",
                          "value": np.linspace(10, 90, len(tier)) ** 1.5, "status": "", "state": "value",
                          "applies": True})
    for polarity in ("none", "higher_better", "lower_better"):
        meta = {**INDICATOR, "polarity": polarity}
        compared = maps.compare_with_peers(table, tp, meta)
        fill, colouring = maps.colour_by_difference(compared, meta)
        words = " ".join([*colouring.domain, *compared["label"], *fill])
        judged = "better" in words and "worse" in words
        assert judged == (polarity != "none")
        assert ("better or worse" in colouring.title[0]) == (polarity != "none")
    # "lower is better": a council above its peers is on the worse (red) side.
    meta = {**INDICATOR, "polarity": "lower_better"}
    table.loc[5, "value"] = 10_000.0
    fill, colouring = maps.colour_by_difference(maps.compare_with_peers(table, tp, meta), meta)
    assert fill.iloc[5] == "much worse"
    assert colouring.range[colouring.domain.index("much worse")] == maps.BETTER_WORSE[0]


def test_places_like_mine_shades_by_similarity() -> None:
    tier = line_tier()
    tp = maps.tier_peers(tier, {"v": 1.0}, k=5)
    code = tier.index[0]
    sim = maps.similarity_to(tp, code)
    table = pd.DataFrame({"area_code": tier.index, "area_name": tier.index, "region": "X", "period": "",
                          "value": np.nan, "status": "x", "state": "x", "applies": True})
    fill, colouring = maps.colour_by_similarity(table, sim, code, "Zero")
    assert fill.iloc[0] == "Selected council"
    assert fill.iloc[1] == "80% or more alike" and fill.iloc[-1] == "under 20% alike"  # farthest council is 0%
    assert not {s[0] for s in maps.STATES.values()} & set(colouring.domain)


# ---------------------------------------------------------------- the chart spec


def test_chart_sends_a_small_table_not_geometry_and_outlines_the_selection() -> None:
    auth = tiny_authorities()
    table = maps.map_table(tiny_values(), INDICATOR, auth, "lower")
    fill, colouring = maps.colour_by_value(table, INDICATOR)
    data = maps.chart_table(table, fill, INDICATOR, "E06000001", ["E07000008", "E07000009"])
    spec = maps.choropleth(data, colouring, "lower", "Test", regions=["North East"])
    text = json.dumps(spec)
    assert '"coordinates"' not in text  # no geometry (the projection is fitted to a box built in an expression)
    assert spec["layer"][0]["data"]["url"] == "app/static/boundaries/lower.geojson"
    assert {"filter": "isValid(datum.fill)"} in spec["layer"][0]["transform"]  # areas without a row are not drawn
    assert spec["layer"][0]["params"][0]["select"]["fields"] == ["area_code"]
    outlines = spec["layer"][1:4]
    assert [o["transform"][-1]["filter"] for o in outlines] == [
        "datum.group === 'this council'", "datum.group === 'peer'", "datum.group === 'this council'"]
    assert outlines[2]["mark"]["strokeWidth"] > outlines[1]["mark"]["strokeWidth"] > 1
    assert all(o["mark"]["fill"] is None for o in outlines)
    groups = {r["area_code"]: r["group"] for r in spec["datasets"]["councils"]}
    assert groups["E06000001"] == "this council" and groups["E07000009"] == "peer"
    assert set(groups) == {"E06000001", "E07000008", "E07000009"}  # zoomed: only the region's rows travel
    assert "rank" not in text.lower()
    assert spec["description"].startswith("Map of England")
    assert maps.payload_bytes(spec) < 20_000


def spec_only(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "datasets"}


def test_spec_stays_the_same_when_only_the_data_changes(processed: dict[str, pd.DataFrame]) -> None:
    """Streamlit swaps data into a drawn chart only while its spec is unchanged (see maps.choropleth)."""
    config = load_config()
    ctx = tier_context(processed["values"], processed["indicators"], processed["authorities"], "lower", config)
    indicators = processed["indicators"].set_index("id", drop=False)
    code = "E07000117"
    specs, datasets = [], []
    for lens in ("overall", "economy"):
        tp = maps.tier_peers(ctx.z, lens_weights(config, lens))
        sim = maps.similarity_to(tp, code)
        for ind_id in ("household_recycling_rate", "adult_obesity_prevalence"):
            meta = {str(k): v for k, v in indicators.loc[ind_id].to_dict().items()}
            table = maps.compare_with_peers(maps.map_table(processed["values"], meta, processed["authorities"],
                                                           "lower"), tp, meta)
            for fill, colouring in (maps.colour_by_value(table, meta), maps.colour_by_difference(table, meta),
                                    maps.colour_by_similarity(table, sim, code, "Burnley")):
                data = maps.chart_table(table, fill, meta, code, maps.peer_codes(tp, code), sim)
                for regions in (None, ["London"], ["North West"]):
                    spec = maps.choropleth(data, colouring, "lower", f"{meta['title']} {lens}", "sub", regions=regions)
                    specs.append(spec_only(spec))
                    datasets.append(spec["datasets"])
    assert all(s == specs[0] for s in specs)
    assert len({json.dumps(d, sort_keys=True) for d in datasets}) == len(datasets)  # while every map differs
    legend = datasets[0]["legend"]
    assert legend[0]["title"] == "Household waste recycling rate overall" and legend[0]["subtitle"] == "sub"
    assert "Quintiles" in legend[0]["legend_title"]
    unselected = maps.chart_table(table, fill, meta)
    assert spec_only(maps.choropleth(unselected, colouring, "lower", "t")) != specs[0]  # no likeness tooltip line


def test_view_box_fits_the_areas_drawn(processed: dict[str, pd.DataFrame]) -> None:
    auth = processed["authorities"]
    lower = auth[auth["is_lower"]]
    england = maps.view_box("lower", list(lower["area_code"]))
    london = maps.view_box("lower", list(lower.loc[lower["region"] == "London", "area_code"]))
    assert -6.5 < england["west"] < london["west"] < london["east"] < england["east"] < 2.0
    assert 49.8 < england["south"] < london["south"] < london["north"] < england["north"] < 56.0
    assert london["east"] - london["west"] < 1.0 and london["north"] - london["south"] < 0.5  # about 70 x 45 km
    assert maps.view_box("lower", ["E99999999"]) == england  # nothing known: all of the tier


def test_legend_rows_carry_classes_titles_and_box() -> None:
    colouring = maps.Colouring(title=["A long legend title that the page wraps when the legend is beside the map",
                                      "Second line"], domain=["a", "b"], range=["#111111", "#222222"])
    box = {"west": -1.0, "south": 51.0, "east": 0.5, "north": 52.0}
    rows = maps.legend_rows(colouring, "Title", "Sub", box, wrap=44)
    assert [(r["label"], r["colour"]) for r in rows] == [("a", "#111111"), ("b", "#222222")]
    assert all(r["title"] == "Title" and r["subtitle"] == "Sub" and r["west"] == -1.0 for r in rows)
    assert all(len(line) <= 44 for line in rows[0]["legend_title"].split("\n"))
    too_many = maps.Colouring(title=["t"], domain=[str(i) for i in range(maps.LEGEND_SLOTS + 1)],
                              range=["#000000"] * (maps.LEGEND_SLOTS + 1))
    with pytest.raises(ValueError, match="at most"):
        maps.legend_rows(too_many, "t", "", box)


def test_records_match_pandas_to_dict() -> None:
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1.5, np.nan], "c": [True, False]})
    fast = records(frame)
    slow = frame.to_dict("records")
    assert [r["a"] for r in fast] == [r["a"] for r in slow] and fast[0]["b"] == 1.5 and np.isnan(fast[1]["b"])
    assert [r["c"] for r in fast] == [True, False]


def test_glyphs_letter_missing_states_and_name_the_selected_council(processed: dict[str, pd.DataFrame]) -> None:
    auth = processed["authorities"]
    table = maps.map_table(processed["values"], INDICATOR | {"id": "household_recycling_rate"}, auth, "lower")
    camden, northumberland = table["area_code"] == "E09000007", table["area_code"] == "E06000057"
    table["state"] = table["state"].mask(camden, "c").mask(northumberland, "z")  # suppressed; not applicable
    table["applies"] = table["applies"].mask(northumberland, False)
    fill, _ = maps.colour_by_value(table, INDICATOR)
    data = maps.chart_table(table, fill, INDICATOR, selected="E07000117")
    marks = maps.glyphs(data, "lower").set_index("area_code")
    assert marks.loc["E09000007", "letter"] == "c" and marks.loc["E09000007", "kind"] == "state"
    assert marks.loc["E07000117", "letter"] == "Burnley" and marks.loc["E07000117", "kind"] == "name"
    assert "E06000057" not in marks.index  # a service the council does not run: unlettered on England's map
    zoomed = maps.glyphs(data, "lower", ["North East"]).set_index("area_code")
    assert zoomed.loc["E06000057", "letter"] == "z" and "E09000007" not in zoomed.index
    assert marks[["lon", "lat"]].notna().all().all()


# ---------------------------------------------------------------- exports


def test_csv_has_bom_gss_codes_neutralised_formulas_and_no_rank() -> None:
    auth = tiny_authorities()
    auth.loc[0, "area_name"] = "=HYPERLINK(\"http://x\")"
    auth.loc[1, "area_name"] = "@SUM(A1)"
    table = maps.map_table(tiny_values(), INDICATOR, auth, "lower")
    values = table.copy()
    values.loc[values["area_code"] == "E06000002", "value"] = -2.5  # a negative number stays a number
    raw = maps.map_csv(values, {**INDICATOR, "title": "+cmd"}, "value", "lower")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["area_code"] for r in rows] == sorted(r["area_code"] for r in rows)
    names = {r["area_code"]: r["area_name"] for r in rows}
    assert names["E06000001"].startswith("'=") and names["E07000008"] == "'@SUM(A1)"
    assert all(r["indicator"] == "'+cmd" for r in rows)
    by_code = {r["area_code"]: r for r in rows}
    assert by_code["E06000002"]["value"] == "-2.5"
    assert by_code["E07000008"]["status"] == "c" and by_code["E07000008"]["value"] == ""
    assert not any("rank" in k.lower() or "position" in k.lower() for k in rows[0])


def test_png_and_svg_render_offline() -> None:
    pytest.importorskip("vl_convert")
    auth = tiny_authorities()
    table = maps.map_table(tiny_values(), INDICATOR, auth, "upper")
    fill, colouring = maps.colour_by_value(table, INDICATOR)
    spec = maps.export_spec(maps.choropleth(maps.chart_table(table, fill, INDICATOR), colouring, "upper", "Test"))
    assert "url" not in json.dumps(spec)[:2000] and len(spec["datasets"]["boundaries_upper"]) == 153
    assert "params" not in spec["layer"][0]
    assert maps.map_png(spec, scale=1).startswith(b"\x89PNG\r\n\x1a\n")
    svg = maps.map_svg(spec)
    assert svg.lstrip().startswith(b"<svg") and b"<path" in svg
    # Titles and legend are data: Vega-Lite must still hand the legend's signal title to Vega.
    texts = " ".join(re.findall(r">([^<>]+)<", svg.decode("utf-8")))
    assert "Test" in texts and "Quintiles" in texts and "Suppressed [c]" in texts


def test_london_inset_spec_is_the_same_for_both_tiers(processed: dict[str, pd.DataFrame]) -> None:
    """London's boroughs are in both boundary files: the inset draws one of them, so a tier change swaps its data."""
    config = load_config()
    meta = {str(k): v for k, v in
            processed["indicators"].set_index("id", drop=False).loc["household_recycling_rate"].to_dict().items()}
    specs, boxes = [], []
    for tier in maps.TIERS:
        ctx = tier_context(processed["values"], processed["indicators"], processed["authorities"], tier, config)
        tp = maps.tier_peers(ctx.z, lens_weights(config, "overall"))
        table = maps.compare_with_peers(maps.map_table(processed["values"], meta, processed["authorities"], tier),
                                        tp, meta)
        fill, colouring = maps.colour_by_value(table, meta)
        data = maps.chart_table(table, fill, meta)
        spec = maps.choropleth(data, colouring, tier, "London", "33 boroughs", regions=["London"], height=300,
                               show_legend=False, boundaries="lower", place="London's 33 boroughs")
        specs.append(spec_only(spec))
        boxes.append(spec["datasets"]["legend"][0])
        assert len(spec["datasets"]["councils"]) == 33
        assert spec["description"].startswith("Map of London's 33 boroughs")
    assert specs[0] == specs[1]
    assert [boxes[0][k] for k in ("west", "south", "east", "north")] == [boxes[1][k] for k in
                                                                         ("west", "south", "east", "north")]
    # the main map still names its tier
    assert maps.choropleth(data, colouring, "upper", "t")["description"].startswith("Map of England's counties")
