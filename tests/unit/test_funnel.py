"""Funnel data: known limits on synthetic data (test data, not real)."""

from __future__ import annotations

import pandas as pd
import pytest

from lm_core.funnel import funnel_for


def _rows(num: list[float], den: list[float], unit_scale: float) -> pd.DataFrame:
    return pd.DataFrame({
        "area_code": [f"E0700{i:04d}" for i in range(len(num))], "value": [unit_scale * n / d for n, d in
                                                                           zip(num, den, strict=True)],
        "numerator": num, "denominator": den, "lower": float("nan"), "upper": float("nan"), "status": "",
    })


def test_proportion_funnel_benchmark_and_limits() -> None:
    # Ten councils each 50 of 100: pooled p0 = 0.5; no spread, so phi = 1 (no widening).
    f = funnel_for(_rows([50.0] * 10, [100.0] * 10, 100.0), "%")
    assert f is not None and f.kind == "proportion"
    assert f.benchmark == pytest.approx(50.0) and f.phi == pytest.approx(1.0)
    # At n = 100: 0.5 ± 1.96 * sqrt(0.25/100) = 0.5 ± 0.098 -> 40.2% to 59.8%.
    row = f.limits.iloc[(f.limits["x"] - 100).abs().argmin()]
    n = row["x"]
    assert row["hi95"] == pytest.approx(100 * (0.5 + 1.959964 * (0.25 / n) ** 0.5), rel=1e-6)


def test_interval_funnel_used_without_parts() -> None:
    rows = pd.DataFrame({"area_code": [f"E0{i}" for i in range(12)], "value": [10.0 + i % 3 for i in range(12)],
                         "lower": [9.0 + i % 3 for i in range(12)], "upper": [11.0 + i % 3 for i in range(12)],
                         "numerator": float("nan"), "denominator": float("nan"), "status": ""})
    f = funnel_for(rows, "years")
    assert f is not None and f.kind == "interval"
    assert f.points["x"].iloc[0] == pytest.approx(1.959964)  # SE = 2 / (2 * 1.96) -> precision 1.96


def test_no_funnel_without_parts_or_intervals() -> None:
    rows = pd.DataFrame({"area_code": ["A"] * 3, "value": [1.0, 2.0, 3.0], "lower": float("nan"),
                         "upper": float("nan"), "numerator": float("nan"), "denominator": float("nan"),
                         "status": ""})
    assert funnel_for(rows, "%") is None
