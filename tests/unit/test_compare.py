"""Known-answer tests for lm_core.compare: every expected number is worked out by hand in a comment."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
