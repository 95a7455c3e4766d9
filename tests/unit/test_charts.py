"""Chart builders: valid Vega-Lite, described for screen readers, no rank anywhere, one 'this council' point.

Every input here is synthetic (small frames built in this file, shaped like the pages' own), so these
tests need neither the store nor a browser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from altair.utils import schemapi

from lm_core.charts import (
    _inline_datasets,
    drawing_spec,
    expectation_chart,
    funnel_chart,
    location_map,
    scatter_chart,
    strip_chart,
    trend_chart,
    why_chart,
)

RNG = np.random.default_rng(7)
CODES = [f"E07000{i:03d}" for i in range(1, 61)]
ME, PEERS = CODES[0], CODES[1:9]
GROUPS = ["this council" if c == ME else "peer" if c in PEERS else "other" for c in CODES]
RANK_NAMES = {"rank", "position", "ranking", "row_number"}


def _points(**values: float) -> pd.DataFrame:
    """Synthetic councils with a value each (a few missing); `values` overrides by area code."""
    value = RNG.normal(50, 12, len(CODES))
    value[[20, 30]] = np.nan
    frame = pd.DataFrame({"area_code": CODES, "value": value, "area_name": [f"Council {c[-3:]}" for c in CODES],
                          "group": GROUPS})
    for code, v in values.items():
        frame.loc[frame["area_code"] == code, "value"] = v
    return frame


POINTS = _points()
TREND = pd.DataFrame({"period": [f"20{y}-{y + 1}" for y in range(18, 24)],
                      "period_start": [f"20{y}-04-01" for y in range(18, 24)],
                      "council": [1.0, 2.0, np.nan, 2.5, 3.0, 2.8], "peer_median": [1.5, 1.7, 1.8, np.nan, 2.2, 2.4],
                      "england": [2.0, 2.1, 2.2, 2.3, 2.4, 2.5]})
WHY = pd.DataFrame({"label": ["Deprivation", "Population", "Rurality"], "contribution": [0.5, 0.1, 0.4],
                    "council_value": ["31.2", "94,000", "0.12"], "peer_value": ["29.8", "101,000", "0.4"]})
MAP = pd.DataFrame({"area_code": CODES, "area_name": POINTS["area_name"], "group": GROUPS,
                    "similarity": [90.0 - i if g == "peer" else np.nan for i, g in enumerate(GROUPS)],
                    "region": ["London" if i % 3 else "South East" for i in range(len(CODES))]})
XS = np.geomspace(1e3, 1e6, 20)
LIMITS = pd.DataFrame({"x": XS, "lo95": 0.5 - 1.96 / np.sqrt(XS), "hi95": 0.5 + 1.96 / np.sqrt(XS),
                       "lo998": 0.5 - 3.09 / np.sqrt(XS), "hi998": 0.5 + 3.09 / np.sqrt(XS)})
FUNNEL = POINTS.dropna(subset=["value"]).assign(x=lambda d: RNG.uniform(1e3, 1e6, len(d)))
SCATTER = POINTS.dropna(subset=["value"]).rename(columns={"value": "y"}).assign(x=lambda d: RNG.normal(30, 8, len(d)))

CASES: dict[str, Callable[[], alt.TopLevelMixin]] = {
    "strip": lambda: strip_chart(POINTS, "Waste recycled, 2023-24", "%", 50.0, 45.0, 55.0, "Council 001"),
    "strip, no band or median": lambda: strip_chart(POINTS, "T", "%", None, None, None, "Council 001"),
    "strip, council without a figure": lambda: strip_chart(_points(**{ME: np.nan}), "T", "£", None, None, None,
                                                           "Council 001", "figure suppressed [c]"),
    "strip, one row": lambda: strip_chart(POINTS.iloc[:1], "T", "%", 1.0, None, 2.0, "Council 001", "no figure"),
    "trend": lambda: trend_chart(TREND, "Waste recycled over time", "%", "Council 001"),
    "trend, one period, no England": lambda: trend_chart(TREND.iloc[:1].drop(columns="england"), "T", "%", "C"),
    "expectation": lambda: expectation_chart(12.0, 10.5, 8.0, 13.0, "%", "Council 001"),
    "why": lambda: why_chart(WHY, "Council 001", "Council 002"),
    "why, one variable": lambda: why_chart(WHY.iloc[:1], "Council 001", "Council 002"),
    "map": lambda: location_map(MAP, "lower", "Where Council 001's peers are"),
    "map, zoomed, no similarity": lambda: location_map(MAP.drop(columns="similarity"), "upper", "Zoomed", 400,
                                                       ["London"]),
    "funnel": lambda: funnel_chart(FUNNEL, LIMITS, 0.5, "Funnel", "%", "Households", "England"),
    "funnel, one council": lambda: funnel_chart(FUNNEL.iloc[:1], LIMITS.iloc[:2], 0.0, "F", "rate", "N", "Mean"),
    "scatter": lambda: scatter_chart(SCATTER, "IMD average score", "Recycled (%)", "Recycled against deprivation"),
    "scatter, empty": lambda: scatter_chart(SCATTER.iloc[:0], "x", "y", "Nothing"),
}


@functools.cache
def _spec(case: str) -> dict[str, Any]:
    """The case's chart as Vega-Lite, validated against the schema (raises if invalid)."""
    return CASES[case]().to_dict(validate=True)


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair anywhere in a spec."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


@pytest.mark.parametrize("case", CASES)
def test_valid_vega_lite(case: str) -> None:
    assert _spec(case)["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert schemapi.DEBUG_MODE  # the builders turn altair's creation-time validation back on


@pytest.mark.parametrize("case", CASES)
def test_described_for_screen_readers(case: str) -> None:
    assert len(_spec(case)["description"]) > 40
    resized = CASES[case]().properties(height=600).to_dict()  # as the Present page does
    assert resized["description"] == _spec(case)["description"] and resized["height"] == 600


@pytest.mark.parametrize("case", CASES)
def test_no_rank_field_or_axis(case: str) -> None:
    spec = _spec(case)
    names = {str(v).lower() for k, v in _walk(spec) if k in ("field", "as", "sort")}
    names |= {f.lower() for k, v in _walk(spec) if k == "fields" for f in v}
    names |= {c.lower() for rows in spec.get("datasets", {}).values() for row in rows for c in row}
    assert not names & RANK_NAMES
    assert not {str(v).lower() for k, v in _walk(spec) if k == "op"} & RANK_NAMES
    assert not any("rank" in str(v).lower() for k, v in _walk(spec) if k == "title")


def _layer_rows(spec: dict[str, Any], mark: str) -> list[dict[str, Any]]:
    """The data rows behind the strip's layer with this mark type."""
    layer = next(lay for lay in spec["layer"] if lay["mark"]["type"] == mark)
    return spec["datasets"][layer.get("data", spec.get("data"))["name"]]  # a lone layer's data sits on top


@pytest.mark.parametrize("case", ["strip", "strip, no band or median"])
def test_strip_marks_one_council(case: str) -> None:
    spec = _spec(case)
    points = _layer_rows(spec, "point")
    assert [p["area_code"] for p in points if p["group"] == "this council"] == [ME]
    assert [p["area_name"] for p in _layer_rows(spec, "text")] == ["Council 001"]  # and labels it, by name


def test_strip_council_without_a_figure_is_not_drawn_but_said() -> None:
    spec = _spec("strip, council without a figure")
    assert not [p for p in _layer_rows(spec, "point") if p["group"] == "this council"]
    assert not [lay for lay in spec["layer"] if lay["mark"]["type"] == "text"]
    assert spec["title"]["subtitle"].startswith("Council 001: figure suppressed [c]")


def _rows(arrow: bytes) -> list[dict[str, Any]]:
    """Rows of an Arrow IPC stream, without the pandas index Streamlit adds (no chart uses it)."""
    table = pa.ipc.open_stream(arrow).read_all()
    return table.drop_columns([c for c in table.column_names if c.startswith("__index_level")]).to_pylist()


@pytest.mark.parametrize("case", CASES)
def test_drawing_spec_is_what_streamlit_would_draw_without_the_schema_check(case: str) -> None:
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    chart = CASES[case]()
    theirs = _convert_altair_to_vega_lite_spec(chart)  # datasets as Arrow IPC bytes, named by content hashes
    theirs["datasets"] = {name: _rows(arrow) for name, arrow in theirs["datasets"].items()}
    assert drawing_spec(chart) == _inline_datasets(theirs)  # the same spec and rows, each table written in place
    assert "datasets" not in drawing_spec(chart)


@pytest.mark.parametrize("case", CASES)
def test_fast_data_transformer_writes_what_altair_writes(case: str) -> None:
    chart = CASES[case]()
    assert alt.data_transformers.active == "level_measures"  # registered by lm_core.charts on import
    ours = chart.to_dict()
    with alt.data_transformers.enable("default"):
        assert chart.to_dict() == ours


def test_fast_data_transformer_leaves_awkward_frames_to_altair() -> None:
    from lm_core.charts import _plain_values

    awkward = pd.DataFrame({"when": pd.to_datetime(["2024-04-01", None]), "name": ["a", None],
                            "v": [1.5, float("inf")], "n": [1, 2]})
    assert _plain_values(awkward) == alt.default_data_transformer(awkward)
    plain = awkward.drop(columns=["when", "name"])
    assert _plain_values(plain) == {"values": [{"v": 1.5, "n": 1}, {"v": None, "n": 2}]}
    assert _plain_values(plain) == alt.default_data_transformer(plain)
    with pytest.raises(alt.MaxRowsError):
        _plain_values(pd.DataFrame({"v": range(5001)}))
