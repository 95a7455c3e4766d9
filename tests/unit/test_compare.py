"""Known-answer tests for lm_core.compare: every expected number is worked out by hand in a comment."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes as stats_theilslopes

from lm_core import compare
from lm_core.compare import (
    Z95,
    Z998,
    Comparison,
    binomial_limits,
    compare_indicator,
    expectation,
    label_for,
    latest_rows,
    mad_distance,
    peers_to_talk_to,
    poisson_limits,
    service_area_sentence,
    strength_words,
    trend,
    typical_range,
    unit_scale,
)
from lm_core.geography import ENGLAND_CODE

COUNCIL = "E07000001"
PEERS = [f"E07000{n:03d}" for n in range(2, 8)]  # six synthetic peers


def indicator(polarity: str = "higher_better", unit: str = "%",
              ind_id: str = "synthetic") -> dict[str, object]:
    """A synthetic catalogue row."""
    return {"id": ind_id, "title": "Synthetic measure", "unit": unit, "polarity": polarity, "decimals": 1}


def rows(values: Mapping[str, float | None], period: str = "2023-24", start: str = "2023-04-01",
         status: Mapping[str, str] | None = None, lower: Mapping[str, float] | None = None,
         upper: Mapping[str, float] | None = None, num: Mapping[str, float] | None = None,
         den: Mapping[str, float] | None = None, ind_id: str = "synthetic") -> pd.DataFrame:
    """Synthetic value rows in the processed `values` shape."""
    nan = float("nan")
    status, lower, upper, num, den = status or {}, lower or {}, upper or {}, num or {}, den or {}
    return pd.DataFrame([{
        "area_code": c, "indicator_id": ind_id, "period": period, "period_start": start,
        "value": nan if v is None else v, "lower": lower.get(c, nan), "upper": upper.get(c, nan),
        "numerator": num.get(c, nan), "denominator": den.get(c, nan), "status": status.get(c, ""), "note": "",
    } for c, v in values.items()])


# ---------------------------------------------------------------- typical range


def test_typical_range_known_answer() -> None:
    # [1, 2, 3, 4, 100]: median 3; |x - 3| = [2, 1, 0, 1, 97] -> median 1; scaled MAD 1.4826
    # band 3 ± 1.4826 = 1.5174 .. 4.4826; IQR (linear): Q1 at position 1 = 2, Q3 at position 3 = 4
    band = typical_range([1, 2, 3, 4, 100])
    assert band is not None
    assert band.median == 3
    assert band.scaled_mad == pytest.approx(1.4826)
    assert (band.low, band.high) == pytest.approx((1.5174, 4.4826))
    assert (band.iqr_low, band.iqr_high) == (2, 4)
    assert band.n == 5


def test_typical_range_even_count() -> None:
    # [2, 4, 6, 8]: median 5; |x - 5| = [3, 1, 1, 3] -> median 2; scaled 2.9652 -> band 2.0348 .. 7.9652
    # IQR: Q1 at position 0.75 = 2 + 0.75*2 = 3.5; Q3 at position 2.25 = 6 + 0.25*2 = 6.5
    band = typical_range([8, 2, 6, 4])
    assert band is not None
    assert (band.low, band.high) == pytest.approx((2.0348, 7.9652))
    assert (band.iqr_low, band.iqr_high) == pytest.approx((3.5, 6.5))


def test_too_few_peers_gives_no_range() -> None:
    assert typical_range([1.0, 2.0]) is None
    assert typical_range([1.0, float("nan"), 2.0]) is None  # a gap is not a figure


def test_zero_mad_falls_back_to_mean_absolute_deviation() -> None:
    # [5, 5, 5, 5, 9]: MAD 0; mean |x - 5| = 4/5 = 0.8; spread 1.2533 * 0.8 = 1.00264
    # d for 9 = 4 / 1.00264 = 3.989 -> "much"
    band = typical_range([5, 5, 5, 5, 9])
    assert band is not None
    assert band.scaled_mad == 0
    assert band.spread == pytest.approx(1.00264)
    d = mad_distance(9, band)
    assert d == pytest.approx(3.9895, abs=1e-3)
    assert strength_words(d or 0) == "much"


def test_all_peers_identical() -> None:
    band = typical_range([5, 5, 5])
    assert band is not None and band.spread == 0
    assert mad_distance(5, band) == 0.0
    assert mad_distance(6, band) is None
    assert label_for(None, "higher_better", "higher") == (
        "higher than similar councils, which all report the same figure (better)")


# ---------------------------------------------------------------- words


@pytest.mark.parametrize(("d", "words"), [
    (0.4, "broadly similar"), (0.5, "broadly similar"), (1.0, "slightly"), (1.6, "noticeably"),
    (3.5, "much"), (8.0, "extreme"), (-0.4, "broadly similar"), (-1.0, "slightly"), (-8.0, "extreme"),
])
def test_wording_thresholds(d: float, words: str) -> None:
    assert strength_words(d) == words


@pytest.mark.parametrize(("d", "polarity", "label"), [
    (1.0, "higher_better", "slightly higher than similar councils (better)"),
    (1.0, "lower_better", "slightly higher than similar councils (worse)"),
    (1.0, "none", "slightly higher than similar councils"),
    (-2.0, "lower_better", "noticeably lower than similar councils (better)"),
    (-2.0, "higher_better", "noticeably lower than similar councils (worse)"),
    (-3.5, "none", "much lower than similar councils"),
    (0.3, "higher_better", "in line with similar councils"),
    (8.0, "higher_better", "extreme: check with a person"),
])
def test_polarity_wording(d: float, polarity: str, label: str) -> None:
    assert label_for(d, polarity) == label


@given(st.floats(min_value=-20, max_value=20, allow_nan=False))
def test_label_symmetric_under_sign_flip_without_polarity(d: float) -> None:
    swap = {"higher": "lower", "lower": "higher"}
    flipped = re.sub(r"higher|lower", lambda m: swap[m.group(0)], label_for(d, "none"))
    assert label_for(-d, "none") == flipped


@settings(max_examples=200)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=3, max_size=40))
def test_band_always_contains_median(xs: list[float]) -> None:
    band = typical_range(xs)
    assert band is not None
    assert band.low <= band.median <= band.high
    assert min(xs) <= band.iqr_low <= band.iqr_high <= max(xs)


@given(st.lists(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=3, max_size=20),
       st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_distance_flips_sign_with_the_data(xs: list[float], v: float) -> None:
    a, b = typical_range(xs), typical_range([-x for x in xs])
    assert a is not None and b is not None
    da, db = mad_distance(v, a), mad_distance(-v, b)
    if da is None or db is None:
        assert da is None and db is None
    else:
        assert db == pytest.approx(-da, abs=1e-9)


# ---------------------------------------------------------------- significance


def test_ci_excludes_and_includes_the_peer_median() -> None:
    # synthetic: peers 10..14 -> median 12; council 15 with CI 12.5–17.5 excludes 12, with 11–19 includes it
    peers = dict(zip(PEERS[:5], [10.0, 11.0, 12.0, 13.0, 14.0], strict=True))
    out = compare_indicator(COUNCIL, PEERS[:5], rows({COUNCIL: 15.0, **peers}, lower={COUNCIL: 12.5},
                                                     upper={COUNCIL: 17.5}), indicator())
    assert out.significant is True
    assert out.method == "95% confidence interval excludes the peer median"
    out = compare_indicator(COUNCIL, PEERS[:5], rows({COUNCIL: 15.0, **peers}, lower={COUNCIL: 11.0},
                                                     upper={COUNCIL: 19.0}), indicator())
    assert out.significant is False
    assert out.method == "95% confidence interval includes the peer median"


def test_binomial_funnel_limits_known_answer() -> None:
    # p0 = 0.5, n = 100: se = sqrt(0.5*0.5/100) = 0.05
    # 95%: 0.5 ± 1.96*0.05 = 0.402 / 0.598; 99.8%: 0.5 ± 3.0902*0.05 = 0.34549 / 0.65451
    assert binomial_limits(0.5, 100, Z95) == pytest.approx((0.402, 0.598), abs=1e-5)
    assert binomial_limits(0.5, 100, Z998) == pytest.approx((0.34549, 0.65451), abs=1e-5)
    # over-dispersion φ = 4 doubles the half-width: 0.5 ± 2*0.098 = 0.304 / 0.696
    assert binomial_limits(0.5, 100, Z95, phi=4.0) == pytest.approx((0.304, 0.696), abs=1e-5)


def test_poisson_funnel_limits_known_answer() -> None:
    # rate 0.01 per person, n = 10,000 -> expected count E = 100. Byar's approximation at 95%:
    # lower = E(1 - 1/(9E) - 1.96/(3√E))^3 = 100(1 - 0.001111 - 0.065333)^3 = 100 * 0.933556^3 = 81.36
    # upper = (E+1)(1 - 1/(9(E+1)) + 1.96/(3√(E+1)))^3 = 101(1 - 0.001100 + 0.065011)^3
    #       = 101 * 1.20424 = 121.63
    # the exact chi-square limits agree: rates 0.008136 and 0.012163 per person
    low, high = poisson_limits(0.01, 10_000, Z95)
    assert low == pytest.approx(0.008136, abs=2e-6)
    assert high == pytest.approx(0.012163, abs=2e-6)


def test_binomial_funnel_through_compare() -> None:
    # synthetic: 5 peers with 48..52 of 100 -> pooled peer rate 250/500 = 50%; peer z-scores
    # (y - 0.5)/0.05 = -0.4..0.4 so φ < 1 and the limits are not widened: 95% 40.2–59.8%, 99.8% 34.5–65.5%
    nums = dict(zip(PEERS[:5], [48.0, 49.0, 50.0, 51.0, 52.0], strict=True))
    peers = dict(nums)
    for council_num, method, sig in [
        (62.0, "outside the 95% funnel limit around the peer rate", True),
        (70.0, "outside the 99.8% funnel limit around the peer rate", True),
        (55.0, "within the 95% funnel limits around the peer rate", False),
    ]:
        values = {COUNCIL: council_num, **peers}
        data = rows(values, num=values, den=dict.fromkeys(values, 100.0))
        out = compare_indicator(COUNCIL, PEERS[:5], data, indicator())
        assert out.method.startswith(method)
        assert "pooled across similar councils" in out.method
        assert out.significant is sig
        assert out.peer_rate == pytest.approx(50.0)
        assert out.funnel_95 == pytest.approx((40.2, 59.8), abs=1e-3)


def test_poisson_funnel_through_compare() -> None:
    # synthetic: peers 95..105 incidents per 10,000 people, shown per 1,000 (scale read from the data:
    # 9.5 * 10,000 / 95 = 1,000). Pooled rate 500/50,000 = 10 per 1,000; E = 100 for the council.
    # 95% upper 121.63 (above); 99.8% upper by Byar: 101(1 - 0.0011 + 3.0902/(3*10.05))^3 ≈ 134.9
    peer_nums = dict(zip(PEERS[:5], [95.0, 100.0, 105.0, 100.0, 100.0], strict=True))
    cases = [(125.0, "outside the 95% funnel limit"), (140.0, "outside the 99.8% funnel limit")]
    for council_num, sig_words in cases:
        nums = {COUNCIL: council_num, **peer_nums}
        vals = {c: n / 10 for c, n in nums.items()}
        out = compare_indicator(COUNCIL, PEERS[:5],
                                rows(vals, num=nums, den=dict.fromkeys(nums, 10_000.0)),
                                indicator("lower_better", "per 1,000 people"))
        assert out.method.startswith(sig_words)
        assert out.peer_rate == pytest.approx(10.0)
        assert out.funnel_95 is not None and out.funnel_95[1] == pytest.approx(12.163, abs=1e-3)


def test_unit_scale_from_data_else_unit() -> None:
    data = rows({"a": 9.5, "b": 10.0}, num={"a": 95.0, "b": 100.0}, den={"a": 10_000.0, "b": 10_000.0})
    assert unit_scale(data, "per 1,000 people") == 1000.0  # 9.5 * 10,000 / 95
    assert unit_scale(rows({"a": 3.0}), "per 100,000 population") == 100_000.0
    assert unit_scale(rows({"a": 3.0}), "%") == 100.0
    assert unit_scale(rows({"a": 3.0}), "score") is None


def test_money_ratio_is_not_a_funnel() -> None:
    # synthetic: reserves-like figures (£, one negative) are not counts -> the typical range is used instead
    vals = {COUNCIL: 20.0, **dict(zip(PEERS[:5], [5.0, 10.0, 15.0, -2.0, 8.0], strict=True))}
    nums = {c: v * 1000 for c, v in vals.items()}
    out = compare_indicator(COUNCIL, PEERS[:5], rows(vals, num=nums, den=dict.fromkeys(vals, 100_000.0)),
                            indicator("none"))
    assert out.method.endswith("(no interval published)")
    assert out.funnel_95 is None


def test_mad_band_fallback() -> None:
    # synthetic: peers [0, 1, 2, 3, 4]: median 2, |x-2| = [2, 1, 0, 1, 2] -> MAD 1, spread 1.4826
    # -> band 0.5174..3.4826
    peers = dict(zip(PEERS[:5], [0.0, 1.0, 2.0, 3.0, 4.0], strict=True))
    out = compare_indicator(COUNCIL, PEERS[:5], rows({COUNCIL: 3.6, **peers}), indicator())
    assert out.method == "outside the typical range of similar councils (no interval published)"
    assert out.significant is True
    # d = 1.6 / 1.4826 = 1.079 -> slightly higher
    assert out.mad_distance == pytest.approx(1.0792, abs=1e-4)
    assert out.label == "slightly higher than similar councils (better)"


# ---------------------------------------------------------------- status: suppressed, missing, zero


@pytest.mark.parametrize(("status", "label"), [("c", "suppressed"), ("x", "not available"),
                                               ("z", "not applicable")])
def test_unusable_statuses_say_three_different_things(status: str, label: str) -> None:
    peers = dict(zip(PEERS[:5], [0.0, 1.0, 2.0, 3.0, 4.0], strict=True))
    out = compare_indicator(COUNCIL, PEERS[:5], rows({COUNCIL: None, **peers}, status={COUNCIL: status}),
                            indicator())
    assert out.label == label
    assert out.value is None and out.significant is None and out.direction is None
    assert out.peer_median == 2  # the peers' range is still there to draw


def test_missing_row_is_not_available() -> None:
    peers = dict(zip(PEERS[:5], [0.0, 1.0, 2.0, 3.0, 4.0], strict=True))
    out = compare_indicator(COUNCIL, PEERS[:5], rows(peers), indicator())
    assert (out.label, out.status) == ("not available", "x")


def test_zero_is_a_real_value() -> None:
    # synthetic: peers [0, 1, 2, 3, 4]: spread 1.4826; council 0 -> d = -2/1.4826 = -1.349 -> slightly lower
    peers = dict(zip(PEERS[:5], [0.0, 1.0, 2.0, 3.0, 4.0], strict=True))
    out = compare_indicator(COUNCIL, PEERS[:5], rows({COUNCIL: 0.0, **peers}), indicator("lower_better"))
    assert out.value == 0.0
    assert out.label == "slightly lower than similar councils (better)"


def test_low_reliability_and_peer_gaps() -> None:
    # synthetic: one peer suppressed, one missing entirely -> 4 peers with data, 2 missing
    peers = dict(zip(PEERS[:5], [0.0, 1.0, 2.0, 3.0, None], strict=True))
    out = compare_indicator(COUNCIL, PEERS, rows({COUNCIL: 1.5, **peers},
                                                 status={COUNCIL: "u", PEERS[4]: "c"}), indicator())
    assert out.n_peers_with_data == 4 and out.n_peers_missing == 2
    assert out.label == "in line with similar councils (low reliability)"
    assert out.low_reliability


def test_too_few_peers_label_and_england() -> None:
    vals = {COUNCIL: 3.0, PEERS[0]: 1.0, PEERS[1]: 2.0, ENGLAND_CODE: 2.5}
    out = compare_indicator(COUNCIL, PEERS, rows(vals), indicator())
    assert out.method == "too few peers with data"
    assert out.significant is None and out.england == 2.5


def test_extreme_is_flagged_not_narrated() -> None:
    # synthetic: peers [0..4], spread 1.4826; council 20 -> d = 18/1.4826 = 12.1 > 7.5
    peers = dict(zip(PEERS[:5], [0.0, 1.0, 2.0, 3.0, 4.0], strict=True))
    out = compare_indicator(COUNCIL, PEERS[:5], rows({COUNCIL: 20.0, **peers}), indicator())
    assert out.flag_extreme and out.label == "extreme: check with a person" and out.judgement is None


# ---------------------------------------------------------------- sentence


def _comp(title: str, d: float | None, polarity: str = "higher_better", status: str = "") -> Comparison:
    """A synthetic Comparison with only the fields the sentence reads filled in meaningfully."""
    unusable = status in ("x", "c", "z")
    direction = None if d is None else compare.direction_of(d)
    strength = None if d is None else strength_words(d)
    return Comparison(
        indicator_id=title, title=title, polarity=polarity, unit="%", area_code=COUNCIL,
        value=None if unusable else 1.0, period="2023-24", status=status, note="",
        peer_median=None if d is None and not unusable else 1.0, band_low=None, band_high=None,
        iqr_low=None, iqr_high=None, n_peers_with_data=15, n_peers_missing=0, mad_distance=d,
        strength=strength, direction=direction,
        judgement=(None if direction is None or strength == "extreme"
                   else compare.judgement_of(direction, polarity)),
        label="", method="", significant=None, flag_extreme=strength == "extreme", england=None)


def test_service_area_sentence() -> None:
    comps = [_comp("Recycling", 2.0), _comp("Residual waste", 1.0, "lower_better"),
             _comp("A", 0.1), _comp("B", -0.2), _comp("C", 0.0)]
    text = service_area_sentence("Burnley", comps, "waste")
    assert text == ("Compared with similar councils, Burnley is broadly similar on 3 of 5 waste measures, "
                    "noticeably better on recycling, and slightly worse on residual waste.")


def test_service_area_sentence_extremes_and_gaps() -> None:
    comps = [_comp("A", 0.1), _comp("Fly-tipping", 9.0, "none"), _comp("Rejects", None, status="c")]
    text = service_area_sentence("Burnley", comps, "waste")
    assert text == ("Compared with similar councils, Burnley is broadly similar on 1 of 3 waste measures; "
                    "1 measure needs a person to check; no figure on rejects (suppressed).")
    assert not re.search(r"\b(rank|top|bottom|quartile|\d+(st|nd|rd|th))\b", text, re.IGNORECASE)
    all_same = service_area_sentence("Burnley", [_comp("A", 0.1), _comp("B", 0.2)], "roads")
    assert all_same == "Compared with similar councils, Burnley is broadly similar on all 2 roads measures."


# ---------------------------------------------------------------- trend and latest rows


def test_trend_and_latest_rows() -> None:
    # synthetic: three periods given out of order; the council is suppressed in the middle one
    frames = []
    for period, start, base in [("2022-23", "2022-04-01", 20.0), ("2020-21", "2020-04-01", 0.0),
                                ("2021-22", "2021-04-01", 10.0)]:
        vals = {COUNCIL: base + 1, ENGLAND_CODE: base + 5,
                **dict(zip(PEERS[:4], [base, base + 1, base + 2, base + 3], strict=True))}
        status = {COUNCIL: "c"} if period == "2021-22" else {}
        frames.append(rows(vals, period, start, status=status))
    frames.append(rows({PEERS[0]: None}, "2023-24", "2023-04-01", status={PEERS[0]: "x"}))
    values = pd.concat(frames, ignore_index=True)
    out = trend(values, "synthetic", COUNCIL, PEERS[:4])
    assert list(out["period"]) == ["2020-21", "2021-22", "2022-23", "2023-24"]
    # peers base..base+3 -> median base + 1.5
    assert list(out["peer_median"][:3]) == [1.5, 11.5, 21.5]
    assert math.isnan(out["council"][1]) and out["council_status"][1] == "c"
    assert list(out["england"][:3]) == [5.0, 15.0, 25.0]
    assert list(out["n_peers"]) == [4, 4, 4, 0]
    latest = latest_rows(values, "synthetic", [COUNCIL, *PEERS[:4]])
    assert set(latest["period"]) == {"2022-23"}  # 2023-24 has only a gap
    assert ENGLAND_CODE in set(latest["area_code"])


# ---------------------------------------------------------------- expectation


def _context(n: int = 200, k: int = 5, seed: int = 7) -> pd.DataFrame:
    """A synthetic standardised context matrix."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.standard_normal((n, k)), index=[f"E07{i:06d}" for i in range(n)],
                        columns=[f"v{j}" for j in range(k)])


def test_expectation_refused_for_noise() -> None:
    # synthetic: outcome is pure noise, unrelated to context -> cross-validated R² near 0 or below
    z = _context()
    y = np.random.default_rng(11).standard_normal(len(z))
    out = expectation(z.index[0], rows(dict(zip(z.index, y, strict=True))), z)
    assert not out.shown and out.expected is None
    assert out.r2 is not None and out.r2 < compare.MIN_R2
    assert "Not shown" in out.reason


def test_expectation_shown_for_linear_outcome_and_out_of_fold() -> None:
    # synthetic: outcome = 2*v0 - v1 + tiny noise -> R² near 1; the council's own figure is then pushed up
    # by 5 (about 2 SDs of the outcome): an out-of-fold prediction is not dragged along with it
    z = _context()
    y = 2 * z["v0"] - z["v1"] + np.random.default_rng(3).normal(0, 0.01, len(z))
    code = z.index[10]
    truth = float(y[code])
    y[code] += 5.0
    out = expectation(code, rows(dict(zip(z.index, y, strict=True))), z)
    assert out.shown and out.r2 is not None and out.r2 > 0.9
    assert out.expected == pytest.approx(truth, abs=0.15)
    assert out.position == "above"


def test_expectation_too_few_councils() -> None:
    z = _context(n=20)
    out = expectation(z.index[0], rows(dict(zip(z.index, z["v0"], strict=True))), z)
    assert not out.shown and out.r2 is None


# ---------------------------------------------------------------- peers to talk to


def _history() -> tuple[pd.DataFrame, dict[str, str]]:
    """Synthetic five-year history: Omega is far ahead now, Beta climbed steadily, the rest stood still."""
    names = dict(zip(PEERS, ["Omega", "Beta", "Gamma", "Delta", "Alpha", "Kappa"], strict=True))
    names[COUNCIL] = "Home"
    # latest: Omega 70, Beta 45, others 40, 50, 55, 60 -> median 52.5;
    # |x - 52.5| = 17.5, 7.5, 12.5, 2.5, 2.5, 7.5
    # -> MAD 7.5, spread 11.1195; Omega d = 17.5/11.1195 = 1.57 -> noticeably better
    latest = dict(zip(PEERS, [70.0, 45.0, 40.0, 50.0, 55.0, 60.0], strict=True))
    frames = []
    for i, year in enumerate(range(2019, 2024)):
        vals = {**latest, PEERS[1]: 25.0 + 5 * i, COUNCIL: 50.0}  # Beta 25 -> 45: +20, above half a spread
        frames.append(rows(vals, f"{year}-{str(year + 1)[2:]}", f"{year}-04-01"))
    return pd.concat(frames, ignore_index=True), names


def test_peers_to_talk_to_alphabetical_with_reasons() -> None:
    values, names = _history()
    out = peers_to_talk_to(COUNCIL, PEERS, values, indicator(), names)
    assert [p.area_name for p in out] == ["Beta", "Omega"]
    assert out[0].reason == "improved from 25.0% in 2019-20 to 45.0% in 2023-24"
    assert out[1].reason.startswith(
        "noticeably better than similar councils: 70.0% against a peer median of 52.5%")


def test_peers_to_talk_to_without_polarity_names_change_not_better() -> None:
    values, names = _history()
    out = peers_to_talk_to(COUNCIL, PEERS, values, indicator("none"), names)
    assert [p.area_name for p in out] == ["Beta"]
    assert out[0].reason.startswith("changed most among similar councils: rose from 25.0%")
    lower = peers_to_talk_to(COUNCIL, PEERS, values, indicator("lower_better"), names)
    assert "Beta" not in [p.area_name for p in lower]  # rising is getting worse here


# ---------------------------------------------------------------- real data


def test_real_data_smoke_burnley_recycling() -> None:
    from lm_core import peer_groups, peers
    from lm_core.build import load_processed

    t = load_processed()
    config = peers.load_config()
    ctx = peer_groups.tier_context(t["values"], t["indicators"], t["authorities"], "lower", config)
    result = peer_groups.find_peers(ctx, config, "E07000117", lens="place", k=15)
    peer_codes = list(result.members["area_code"])
    assert len(peer_codes) == 15
    catalogue = t["indicators"]
    meta = catalogue[catalogue["id"] == "household_recycling_rate"].iloc[0]
    latest = latest_rows(t["values"], "household_recycling_rate", list(ctx.z.index))
    out = compare_indicator("E07000117", peer_codes, latest, meta)
    assert out.value is not None and out.peer_median is not None
    assert out.method and out.label
    assert out.n_peers_with_data + out.n_peers_missing == 15
    assert out.england is not None
    history = trend(t["values"], "household_recycling_rate", "E07000117", peer_codes)
    assert history["period_start"].is_monotonic_increasing


# ---------------------------------------------------------------- equivalence with the pandas implementation
# compare.latest_rows and compare.compare_indicator were rewritten on NumPy arrays for speed (the profile
# page calls them ~70 times per council). Below is the pandas implementation they replaced, frozen
# verbatim (renamed old_*); the tests check that the new code returns exactly the same thing, to the
# last bit, on random frames and on the real data. bench/compare.py times one against the other.


def old_clean(values: Iterable[float]) -> np.ndarray:
    arr = np.asarray(list(values), dtype=float)
    return arr[np.isfinite(arr)]


def old_typical_range(values: Iterable[float]) -> compare.TypicalRange | None:
    """Median ± 1 scaled MAD of the peer values; None when fewer than 3 peers have a figure."""
    arr = old_clean(values)
    if arr.size < compare.MIN_PEERS:
        return None
    median = float(np.median(arr))
    scaled_mad = compare.MAD_SCALE * float(np.median(np.abs(arr - median)))
    spread, how = scaled_mad, "scaled MAD"
    if scaled_mad == 0:
        spread = compare.MEAN_AD_SCALE * float(np.mean(np.abs(arr - median)))
        how = "mean absolute deviation (most peers share one value)"
    q1, q3 = np.percentile(arr, [25, 75])
    return compare.TypicalRange(median=median, scaled_mad=scaled_mad, spread=spread, spread_method=how,
                                low=median - spread, high=median + spread, iqr_low=float(q1),
                                iqr_high=float(q3), n=int(arr.size))


def old_overdispersion(z_scores: Iterable[float]) -> float:
    """Spiegelhalter's φ: mean squared z-score after winsorising at 10%/90% (1 = as chance predicts)."""
    z = old_clean(z_scores)
    if z.size == 0:
        return 1.0
    lo, hi = np.quantile(z, [compare.WINSOR, 1 - compare.WINSOR])
    return float(np.mean(np.clip(z, lo, hi) ** 2))


def old_unit_scale(rows: pd.DataFrame, unit: str) -> float | None:
    """The multiplier in value ≈ scale × numerator / denominator, read from the data, else the unit."""
    ok = rows[(rows["numerator"] > 0) & (rows["denominator"] > 0) & rows["value"].notna()]
    if len(ok):
        scale = float(np.median(ok["value"] * ok["denominator"] / ok["numerator"]))
        if scale > 0:
            nice = 10 ** round(math.log10(scale))
            return float(nice) if abs(scale / nice - 1) < 0.02 else scale  # published values are rounded
    if unit.startswith("%"):
        return 100.0
    m = re.match(r"per ([\d,]+)", unit)
    if m:
        return float(m.group(1).replace(",", ""))
    if unit.startswith("per "):
        return 1.0
    return None


def old_funnel_kind(rows: pd.DataFrame, unit: str, scale: float | None) -> str | None:
    """'binomial', 'poisson' or None when the parts are not counts a funnel can be drawn for."""
    parts = rows[rows["numerator"].notna() & rows["denominator"].notna()]
    if scale is None or parts.empty:
        return None
    num, den = parts["numerator"].to_numpy(float), parts["denominator"].to_numpy(float)
    counts = bool((num >= 0).all() and (den > 0).all() and (num % 1 == 0).all() and (den % 1 == 0).all())
    if not counts:
        return None  # e.g. reserves in £ (can be negative or fractional): not a count of anything
    if unit.startswith("%") and abs(scale - 100) < 1e-9:
        return "binomial" if bool((num <= den).all()) else None
    if unit.startswith("per "):
        return "poisson"
    return None


def old_usable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~rows["status"].isin(list(compare.UNUSABLE)) & rows["value"].notna()]


def old_meta(indicator: pd.Series | Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in dict(indicator).items()}


def old_opt(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def old_latest_rows(values: pd.DataFrame, indicator_id: str, area_codes: Iterable[str]) -> pd.DataFrame:
    """Rows of the latest period in which any of these councils has a figure, plus England's row."""
    codes = set(area_codes)
    rows = values[values["indicator_id"] == indicator_id]
    have = old_usable(rows[rows["area_code"].isin(codes)])
    if have.empty:
        return rows.iloc[0:0]
    start = have["period_start"].max()
    wanted = rows["area_code"].isin(codes) | (rows["area_code"] == ENGLAND_CODE)
    keep = (rows["period_start"] == start) & wanted
    return rows[keep].reset_index(drop=True)


def old_significance(council: pd.Series, peers: pd.DataFrame, rows: pd.DataFrame, band: compare.TypicalRange,
                     unit: str) -> dict[str, Any]:
    """Which test applies, its verdict and, for funnels, the limits (in display units)."""
    value = float(council["value"])
    lower, upper = old_opt(council.get("lower")), old_opt(council.get("upper"))
    if lower is not None and upper is not None:
        excludes = lower > band.median or upper < band.median
        word = "excludes" if excludes else "includes"
        return {"significant": excludes, "method": f"95% confidence interval {word} the peer median"}
    num, den = old_opt(council.get("numerator")), old_opt(council.get("denominator"))
    scale = old_unit_scale(rows, unit)
    kind = old_funnel_kind(rows, unit, scale)
    with_parts = peers[peers["numerator"].notna() & (peers["denominator"] > 0)]
    if (num is not None and den is not None and den > 0 and kind and scale
            and len(with_parts) >= compare.MIN_PEERS):
        p0 = float(with_parts["numerator"].sum() / with_parts["denominator"].sum())
        n_i = with_parts["denominator"].to_numpy(float)
        y_i = with_parts["numerator"].to_numpy(float) / n_i
        limits: Callable[[float, float, float, float], tuple[float, float]]
        if kind == "binomial":
            se_i = np.sqrt(p0 * (1 - p0) / n_i) if 0 < p0 < 1 else np.full_like(n_i, np.nan)
            limits = binomial_limits
        else:
            se_i = np.sqrt(p0 / n_i) if p0 > 0 else np.full_like(n_i, np.nan)
            limits = poisson_limits
        phi = old_overdispersion((y_i - p0) / se_i) if np.isfinite(se_i).all() else 1.0
        l95, l998 = limits(p0, den, Z95, phi), limits(p0, den, Z998, phi)
        obs = num / den
        if obs < l998[0] or obs > l998[1]:
            verdict, sig = "outside the 99.8% funnel limit", True
        elif obs < l95[0] or obs > l95[1]:
            verdict, sig = "outside the 95% funnel limit", True
        else:
            verdict, sig = "within the 95% funnel limits", False
        widened = ", widened for the spread among similar councils" if phi > 1 else ""
        return {"significant": sig,
                "method": f"{verdict} around the peer rate (pooled across similar councils{widened})",
                "peer_rate": p0 * scale, "funnel_95": (l95[0] * scale, l95[1] * scale),
                "funnel_998": (l998[0] * scale, l998[1] * scale), "overdispersion": phi}
    outside = value < band.low or value > band.high
    where = "outside" if outside else "within"
    return {"significant": outside,
            "method": f"{where} the typical range of similar councils (no interval published)"}


def old_compare_indicator(code: str, peer_codes: Sequence[str], rows: pd.DataFrame,
                          indicator: pd.Series | Mapping[str, Any]) -> Comparison:
    """Compare one council with its peers on one indicator's latest-period rows (see latest_rows)."""
    meta = old_meta(indicator)
    polarity, unit = str(meta.get("polarity", "none")), str(meta.get("unit", ""))
    rows = rows.assign(status=rows["status"].fillna("").astype(str))
    if rows["period_start"].nunique() > 1:  # defensive: only ever one period
        rows = rows[rows["period_start"] == rows["period_start"].max()]
    peer_set = [p for p in dict.fromkeys(peer_codes) if p != code]
    peers = old_usable(rows[rows["area_code"].isin(peer_set)]).drop_duplicates("area_code")
    band = old_typical_range(peers["value"])
    eng = old_usable(rows[rows["area_code"] == ENGLAND_CODE])
    england = float(eng["value"].iloc[0]) if len(eng) else None
    mine = rows[rows["area_code"] == code]
    period = str(rows["period"].iloc[0]) if len(rows) else ""
    status = str(mine["status"].iloc[0]) if len(mine) else "x"
    note = str(mine["note"].iloc[0]) if len(mine) and "note" in mine else ""
    value = old_opt(mine["value"].iloc[0]) if len(mine) else None
    if value is None and status not in compare.UNUSABLE:
        status = "x"  # a blank with no status is simply not available
    base: dict[str, Any] = {
        "indicator_id": str(meta.get("id", "")), "title": str(meta.get("title", "")), "polarity": polarity,
        "unit": unit, "area_code": code, "value": None if status in compare.UNUSABLE else value, "period": period,
        "status": status, "note": note,
        "peer_median": band.median if band else None, "band_low": band.low if band else None,
        "band_high": band.high if band else None, "iqr_low": band.iqr_low if band else None,
        "iqr_high": band.iqr_high if band else None, "n_peers_with_data": len(peers),
        "n_peers_missing": len(peer_set) - len(peers), "england": england,
        "mad_distance": None, "strength": None, "direction": None, "judgement": None,
        "significant": None, "flag_extreme": False, "low_reliability": status == "u",
    }
    if status in compare.UNUSABLE or value is None:
        return Comparison(**base, label=compare.STATUS_WORDS.get(status, "not available"),
                          method="no figure to test")
    if band is None:
        return Comparison(**base, label="too few similar councils with data to compare",
                          method="too few peers with data")
    d = mad_distance(value, band)
    if d is None:
        direction = "higher" if value > band.median else "lower"
        strength = None
    else:
        direction, strength = compare.direction_of(d), strength_words(d)
    extreme = strength == "extreme"
    label = label_for(d, polarity, direction)
    if status == "u":
        label += " (low reliability)"
    # all rows, not just the peers': whether the parts are counts is a question about the whole tier
    sig = old_significance(mine.iloc[0], peers, rows, band, unit)
    base.update(mad_distance=d, strength=strength, direction=direction, flag_extreme=extreme,
                judgement=None if extreme else compare.judgement_of(direction, polarity), **sig)
    return Comparison(**base, label=label)


STATUS_CHOICES = ["", "", "", "", "", "u", "x", "c", "z", None, float("nan")]
NOTE_CHOICES = ["", "", "revised", None, float("nan")]
UNIT_CHOICES = ["%", "% of households", "per 1,000 people", "per 100,000 population", "per household",
                "score", "£ per head", "days"]
AREAS = [COUNCIL, *PEERS, *(f"E07000{n:03d}" for n in range(8, 14)), ENGLAND_CODE]


def _random_values(rng: np.random.Generator, ind_id: str = "synthetic") -> tuple[pd.DataFrame, str]:
    """Synthetic value rows with every awkward case (gaps, statuses, duplicates, ties, zeros, odd parts),
    and a unit: usually the one that fits the parts, so that the funnels get tested too."""
    kind = str(rng.choice(["binomial", "poisson", "money", "plain", "ties", "ci"]))
    n_periods = int(rng.choice([1, 1, 1, 2, 3]))
    nan = float("nan")
    rate = float(rng.uniform(0.001, 0.9))
    # now and then a newest period that only one or two areas have published yet (England, say)
    early = {str(a) for a in rng.choice([ENGLAND_CODE, *AREAS], size=2)} if n_periods > 1 and rng.random() < 0.4 \
        else None
    records = []
    for p in range(n_periods):
        start: object = f"{2020 + p}-04-01" if rng.random() > 0.03 else [nan, None][int(rng.integers(2))]
        for area in AREAS:
            if rng.random() < 0.1 or (early is not None and p == n_periods - 1 and area not in early):
                continue  # no row at all
            for _ in range(2 if rng.random() < 0.05 else 1):  # now and then a duplicate row
                den = float(rng.integers(20, 5000))
                num = float(rng.binomial(int(den), rate))  # peers near one rate, some far (area effects)
                if rng.random() < 0.3:
                    num = float(rng.integers(0, int(den) + 1))
                if kind == "binomial":
                    value = round(100 * num / den, int(rng.choice([1, 6])))
                elif kind == "poisson":
                    num = float(rng.poisson(rate * den / 20))
                    value = round(1000 * num / den, int(rng.choice([2, 6])))
                elif kind == "money":
                    num = float(rng.normal(0, 5000))
                    value = 100 * num / den
                elif kind == "ties":
                    value = float(rng.choice([0.0, 0.0, 5.0, 5.0, 5.0, 9.0, -0.0]))
                    num, den = nan, nan
                else:
                    value = float(rng.normal(50, 20))
                    num, den = (nan, nan) if rng.random() < 0.7 else (num, den)
                if rng.random() < 0.03:
                    num = nan
                if rng.random() < 0.01:
                    den = float(rng.choice([0.0, nan, num - 1 if num == num else 1.0]))
                status = STATUS_CHOICES[int(rng.integers(len(STATUS_CHOICES)))] if rng.random() < 0.3 else ""
                if (status in ("x", "c", "z") and rng.random() < 0.8) or rng.random() < 0.05:
                    value = nan
                lower = upper = nan
                if kind == "ci" and rng.random() < 0.8:
                    lower, upper = value - float(rng.uniform(0, 30)), value + float(rng.uniform(0, 30))
                    if rng.random() < 0.1:
                        upper = nan
                records.append({
                    "area_code": area if rng.random() > 0.01 else None, "indicator_id": ind_id,
                    "period": f"{2020 + p}-{21 + p}", "period_start": start, "value": value, "lower": lower,
                    "upper": upper, "numerator": num, "denominator": den, "status": status,
                    "note": NOTE_CHOICES[int(rng.integers(len(NOTE_CHOICES)))],
                })
    frame = pd.DataFrame(records, columns=["area_code", "indicator_id", "period", "period_start", "value",
                                           "lower", "upper", "numerator", "denominator", "status", "note"])
    text = [c for c in frame.columns if frame[c].dtype != "float64"]
    layout = rng.choice(["arrow", "object", "raw", "na"])
    if layout == "object":  # what profile.split_by_indicator hands over
        frame = frame.astype(dict.fromkeys(text, object))
    elif layout in ("raw", "na"):  # object columns keeping None as None, or with pd.NA for it
        for c in text:
            frame[c] = pd.Series([pd.NA if r[c] is None and layout == "na" else r[c] for r in records],
                                 dtype=object)
    dropped = [c for c in ("lower", "upper", "note") if rng.random() < 0.1]
    fits = {"binomial": "%", "poisson": "per 1,000 people"}.get(kind)
    unit = fits if fits and rng.random() < 0.7 else str(rng.choice(UNIT_CHOICES))
    return frame.drop(columns=dropped), unit


def _outcome(fn: Callable[[], Any]) -> str:
    """repr of the result (exact floats, types and all), or the exception's type."""
    try:
        return repr(fn())
    except Exception as exc:  # the old code's exceptions must be the new code's
        return f"raised {type(exc).__name__}"


def _assert_same_frame(new: pd.DataFrame, old: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(new, old, check_exact=True, check_index_type=True)
    assert repr(new.index) == repr(old.index)
    assert list(new.dtypes) == list(old.dtypes)


def _random_peers(rng: np.random.Generator) -> list[str]:
    """Mostly distinct peers; now and then the council itself, England, a repeat or a code with no rows."""
    peers = [str(c) for c in rng.choice(AREAS[1:-1], size=int(rng.integers(0, len(AREAS) - 1)), replace=False)]
    extras = [str(c) for c in rng.choice([*AREAS, "E07000099"], size=int(rng.integers(0, 3)))]
    return peers + extras if rng.random() < 0.3 else peers


@pytest.mark.parametrize("seed", range(4))
def test_compare_indicator_matches_pandas_implementation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(50):
        values, unit = _random_values(rng)
        codes = _random_peers(rng)
        code = str(rng.choice([COUNCIL] * 8 + ["E07000099", PEERS[0]]))
        meta: dict[str, object] = {"id": "synthetic", "title": "Synthetic measure", "decimals": 1, "unit": unit,
                                   "polarity": str(rng.choice(["higher_better", "lower_better", "none"]))}
        if rng.random() < 0.1:
            del meta["polarity"]
        indicator = pd.Series(meta) if rng.random() < 0.3 else meta
        for rows in (values, old_latest_rows(values, "synthetic", [code, *codes])):
            new = _outcome(partial(compare_indicator, code, codes, rows, indicator))
            assert new == _outcome(partial(old_compare_indicator, code, codes, rows, indicator))


@pytest.mark.parametrize("seed", range(4))
def test_latest_rows_matches_pandas_implementation(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for _ in range(40):
        values = pd.concat([_random_values(rng)[0], _random_values(rng, "other")[0]], ignore_index=True)
        if rng.random() < 0.3:
            values = values.sample(frac=1.0, random_state=int(rng.integers(1000)))  # shuffled, odd index
        if rng.random() < 0.2:
            values = values.reset_index(drop=True).rename(index=lambda i: i * 3 + 7)
        codes = _random_peers(rng) + ([ENGLAND_CODE] if rng.random() < 0.3 else [])
        ind = str(rng.choice(["synthetic", "synthetic", "other", "missing"]))
        _assert_same_frame(latest_rows(values, ind, codes), old_latest_rows(values, ind, codes))


def old_compare_latest(code: str, peer_codes: Sequence[str], values: pd.DataFrame, indicator_id: str,
                       indicator: pd.Series | Mapping[str, Any]) -> compare.Comparison:
    """What build_profile did before compare_latest: the latest rows as a frame, then compare them."""
    latest = old_latest_rows(values, indicator_id, (code, *peer_codes))
    return old_compare_indicator(code, peer_codes, latest if not latest.empty else values.iloc[0:0], indicator)


@pytest.mark.parametrize("seed", range(4))
def test_compare_latest_matches_latest_rows_then_compare(seed: int) -> None:
    """The DataFrame-free path a council switch takes gives what the two documented steps give."""
    rng = np.random.default_rng(300 + seed)
    for _ in range(40):
        values, unit = _random_values(rng)
        if rng.random() < 0.3:
            values = pd.concat([values, _random_values(rng, "other")[0]], ignore_index=True)
        if rng.random() < 0.3:
            values = values.sample(frac=1.0, random_state=int(rng.integers(1000)))  # shuffled, odd index
        codes = _random_peers(rng)
        code = str(rng.choice([COUNCIL] * 8 + ["E07000099", PEERS[0]]))
        ind = str(rng.choice(["synthetic", "synthetic", "other", "missing"]))
        meta = {"id": ind, "title": "Synthetic measure", "decimals": 1, "unit": unit,
                "polarity": str(rng.choice(["higher_better", "lower_better", "none"]))}
        steps = _outcome(partial(compare_indicator, code, codes, latest_rows(values, ind, [code, *codes]), meta))
        for _ in range(2):  # the second call reads the index and columns cached by the first
            assert _outcome(partial(compare.compare_latest, code, codes, values, ind, meta)) == steps
        assert _outcome(partial(old_compare_latest, code, codes, values, ind, meta)) == steps


def old_trend(values: pd.DataFrame, indicator_id: str, code: str, peer_codes: Sequence[str]) -> pd.DataFrame:
    """compare.trend as it was in pandas (a groupby over every council's rows), kept as the oracle."""
    rows = values[values["indicator_id"] == indicator_id]
    rows = rows.assign(status=rows["status"].fillna("").astype(str))
    peer_set = [p for p in dict.fromkeys(peer_codes) if p != code]
    out: list[dict[str, Any]] = []
    for (start, period), grp in rows.groupby(["period_start", "period"], sort=True):
        mine = grp[grp["area_code"] == code]
        usable_mine = old_usable(mine)
        peers = old_usable(grp[grp["area_code"].isin(peer_set)])
        band = typical_range(peers["value"])
        eng = old_usable(grp[grp["area_code"] == ENGLAND_CODE])
        out.append({"period": period, "period_start": start,
                    "council": float(usable_mine["value"].iloc[0]) if len(usable_mine) else np.nan,
                    "peer_median": band.median if band else np.nan,
                    "england": float(eng["value"].iloc[0]) if len(eng) else np.nan,
                    "n_peers": len(peers.drop_duplicates("area_code")),
                    "council_status": str(mine["status"].iloc[0]) if len(mine) else "x"})
    cols = ["period", "period_start", "council", "peer_median", "england", "n_peers", "council_status"]
    return pd.DataFrame(out, columns=cols).sort_values("period_start", kind="stable").reset_index(drop=True)


def old_peers_to_talk_to(code: str, peer_codes: Sequence[str], values: pd.DataFrame,
                         indicator: pd.Series | Mapping[str, Any], names: Mapping[str, str]) -> list[Any]:
    """compare.peers_to_talk_to as it was in pandas, kept as the oracle."""
    meta = old_meta(indicator)
    ind_id, polarity = str(meta.get("id", "")), str(meta.get("polarity", "none"))
    unit, decimals = str(meta.get("unit", "")), int(meta.get("decimals", 1))
    peer_set = [p for p in dict.fromkeys(peer_codes) if p != code]
    rows = values[(values["indicator_id"] == ind_id) & values["area_code"].isin(peer_set)]
    rows = old_usable(rows.assign(status=rows["status"].fillna("").astype(str)))
    reasons: dict[str, list[str]] = {}
    latest = old_latest_rows(rows, ind_id, peer_set)
    latest = latest[latest["area_code"] != ENGLAND_CODE]
    band = typical_range(latest["value"])
    if band is None:
        return []
    sign = {"higher_better": 1.0, "lower_better": -1.0}.get(polarity)

    def fmt(v: Any) -> str:
        return compare.format_value(float(v), unit, decimals)

    if sign is not None:
        for r in latest[latest["status"] != "u"].to_dict("records"):
            d = compare.mad_distance(float(r["value"]), band)
            if d is not None and sign * d >= compare.NOTABLY_BETTER and compare.strength_words(d) != "extreme":
                reasons.setdefault(str(r["area_code"]), []).append(
                    f"{compare.strength_words(d)} better than similar councils: {fmt(r['value'])} against a peer "
                    f"median of {fmt(band.median)} in {r['period']}")
    window = sorted(rows["period_start"].unique())[-compare.TREND_WINDOW:]
    changes: list[tuple[float, str, str]] = []
    for area, pts in rows.groupby("area_code"):
        pts = pts[pts["period_start"].isin(window)].sort_values("period_start")
        if len(pts) < compare.MIN_TREND_POINTS:
            continue
        pos = pts["period_start"].map({p: i for i, p in enumerate(window)}).to_numpy(float)
        slope = float(stats_theilslopes(pts["value"].to_numpy(float), pos).slope)
        change, first, last = slope * (pos[-1] - pos[0]), pts.iloc[0], pts.iloc[-1]
        raw = float(last["value"]) - float(first["value"])
        if sign is not None:
            gain, same_way, verb = sign * change, sign * raw > 0, "improved"
        else:
            gain, same_way, verb = abs(change), change * raw > 0, "rose" if change > 0 else "fell"
        if same_way and gain >= 0.5 * band.spread and gain > 0:
            text = (f"{verb} from {fmt(first['value'])} in {first['period']} "
                    f"to {fmt(last['value'])} in {last['period']}")
            if sign is None:
                text = f"changed most among similar councils: {text}"
            changes.append((gain, str(area), text))
    for _, area, text in sorted(changes, reverse=True)[:compare.MAX_IMPROVERS]:
        reasons.setdefault(area, []).append(text)
    out = [compare.PeerToTalkTo(area_code=a, area_name=names.get(a, a), reason="; ".join(r))
           for a, r in reasons.items()]
    return sorted(out, key=lambda p: (p.area_name.casefold(), p.area_code))


@pytest.mark.parametrize("seed", range(4))
def test_trend_and_peers_to_talk_to_match_pandas_implementation(seed: int) -> None:
    """Both now read the frame's row index (only the council's, peers' and England's rows); same answers."""
    rng = np.random.default_rng(500 + seed)
    names = {a: f"Council {a[-3:]}" for a in AREAS}
    for _ in range(40):
        values, unit = _random_values(rng)
        if rng.random() < 0.3:
            values = pd.concat([values, _random_values(rng, "other")[0]], ignore_index=True)
        if rng.random() < 0.3:
            values = values.sample(frac=1.0, random_state=int(rng.integers(1000)))
        codes = _random_peers(rng)
        code = str(rng.choice([COUNCIL] * 8 + ["E07000099", PEERS[0]]))
        ind = str(rng.choice(["synthetic", "synthetic", "other", "missing"]))
        meta = {"id": ind, "title": "Synthetic measure", "decimals": 1, "unit": unit,
                "polarity": str(rng.choice(["higher_better", "lower_better", "none"]))}
        new_trend = _outcome(partial(trend, values, ind, code, codes))
        assert new_trend == _outcome(partial(old_trend, values, ind, code, codes))
        new_talk = _outcome(partial(peers_to_talk_to, code, codes, values, meta, names))
        assert new_talk == _outcome(partial(old_peers_to_talk_to, code, codes, values, meta, names))


def test_trend_and_peers_to_talk_to_match_pandas_on_real_data() -> None:
    from lm_core.build import load_processed
    from lm_core.profile import split_by_indicator

    t = load_processed()
    catalogue = t["indicators"].set_index("id", drop=False)
    names = dict(zip(t["authorities"]["area_code"], t["authorities"]["area_name"], strict=True))
    councils = sorted(t["authorities"]["area_code"])
    rng = np.random.default_rng(9)
    for ind, frame in list(split_by_indicator(t["values"]).items())[::4]:
        code = str(rng.choice(councils))
        peer_codes = [str(c) for c in rng.choice(councils, 15, replace=False)]
        pd.testing.assert_frame_equal(trend(frame, ind, code, peer_codes), old_trend(frame, ind, code, peer_codes),
                                      check_exact=True)
        if ind in catalogue.index:
            meta = catalogue.loc[ind]
            assert repr(peers_to_talk_to(code, peer_codes, frame, meta, names)) == \
                repr(old_peers_to_talk_to(code, peer_codes, frame, meta, names))


def test_unit_scale_matches_pandas_implementation() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        values, unit = _random_values(rng)
        assert _outcome(partial(unit_scale, values, unit)) == _outcome(partial(old_unit_scale, values, unit))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow near the largest floats, old and new alike
@settings(max_examples=300)
@given(st.lists(st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1.0, 5.0, -2.5, 1e-300, 3e300])),
                max_size=30),
       st.booleans())
@example([1.7e308, 1.6e308, -1e308, 1.7e308], False)  # sums that overflow
@example([5e-324, 1e-323, -5e-324, 0.0, 2.5e-323], True)  # subnormals, and a zero
@example([-0.0, 0.0, 0.0, -0.0, 3.0], True)
def test_typical_range_matches_numpy_to_the_last_bit(xs: list[float], as_array: bool) -> None:
    arg: Any = np.asarray(xs, dtype=float) if as_array else xs
    assert _outcome(partial(typical_range, arg)) == _outcome(partial(old_typical_range, xs))


def test_real_profiles_match_pandas_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    from lm_core import peers, profile
    from lm_core.build import load_processed
    from lm_core.peer_groups import tier_context

    t = load_processed()
    config = peers.load_config()
    contexts = {tier: tier_context(t["values"], t["indicators"], t["authorities"], tier, config)
                for tier in ("lower", "upper")}
    by_indicator = profile.split_by_indicator(t["values"])
    for code in ("E07000117", "E10000016"):
        new = profile.build_profile(code, t["authorities"], t["indicators"], by_indicator, contexts, config)
        with monkeypatch.context() as m:
            m.setattr(compare, "compare_latest", old_compare_latest)
            old = profile.build_profile(code, t["authorities"], t["indicators"], by_indicator, contexts, config)
        assert len(new.rows) == len(old.rows) > 40
        assert [repr(r) for r in new.rows] == [repr(r) for r in old.rows]
    # the whole Arrow-backed values table, as the smoke test above passes it
    codes = list(contexts["lower"].z.index[:20])
    for ind in list(by_indicator)[::10]:
        _assert_same_frame(latest_rows(t["values"], ind, codes), old_latest_rows(t["values"], ind, codes))
