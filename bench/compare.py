"""Profile-page speed: a council or measure switch on the Council profile page (prints numbers; asserts nothing).

Run: python bench/compare.py [--runs N] [--reference] [--no-page]
Target: switching council or indicator reruns in <= 250 ms p95. Measured two ways: the whole page's
rerun on a switch (AppTest, server side: our code plus Streamlit's, to councils not seen before and
then again once cached), and build_profile alone (the part a council not seen before adds).
Times are wall-clock, with CPU time beside them (steadier when other work shares the machine), and
also given as a ratio to a baseline measured in the same run (pd.DataFrame.copy of the whole values
table), so machines of different speed can be compared. --reference also times the frozen pandas
implementation of compare.latest_rows + compare.compare_indicator kept in tests/unit/test_compare.py
(what the NumPy rewrite replaced), for a before/after in one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from blank_page import blank_page_ms, report

from lm_core import compare
from lm_core.build import load_processed
from lm_core.peer_groups import tier_context
from lm_core.peers import load_config
from lm_core.profile import Profile, build_profile, split_by_indicator

ROOT = Path(__file__).resolve().parents[1]
COUNCILS = ("E07000117", "E10000016", "E06000052", "E09000001", "E08000025")
TARGET_MS = 250.0


def times_of(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU times in ms of `runs` calls, after one warm-up call."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per council (default 20)")
    parser.add_argument("--reference", action="store_true",
                        help="also time the frozen pandas implementation from the tests (slow: ~1 s a run)")
    parser.add_argument("--no-page", action="store_true", help="skip the whole-page AppTest reruns")
    args = parser.parse_args()
    if not args.no_page:
        page_numbers(max(args.runs, 20))

    t = load_processed()
    values, catalogue, authorities = t["values"], t["indicators"], t["authorities"]
    config = load_config()
    contexts = {tier: tier_context(values, catalogue, authorities, tier, config) for tier in ("lower", "upper")}
    by_indicator = split_by_indicator(values)

    def profile_of(code: str) -> Callable[[], Profile]:
        return lambda: build_profile(code, authorities, catalogue, by_indicator, contexts, config)

    base = statistics.median(times_of(values.copy, max(args.runs, 50))[0])
    print(f"baseline: pd.DataFrame.copy of the values table ({len(values):,} rows): {base:.2f} ms (median)")

    variants: list[tuple[str, Callable[[], None] | None]] = [("current compare (NumPy)", None)]
    if args.reference:
        sys.path.insert(0, str(ROOT / "tests" / "unit"))
        import test_compare as frozen  # the pandas implementation, kept for the equivalence tests

        def use_reference() -> None:
            compare.compare_latest = frozen.old_compare_latest

        variants.append(("reference compare (frozen pandas implementation)", use_reference))

    current = compare.compare_latest
    try:
        for label, patch in variants:
            if patch is not None:
                patch()
            print(f"\n{label}: build_profile, {args.runs} runs per council")
            print(f"{'council':10} {'rows':>4} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'ms/row':>7} "
                  f"{'p50/base':>9} {'p95/base':>9}")
            pooled: list[float] = []
            for code in COUNCILS:
                n_rows = len(profile_of(code)().rows)
                wall, cpu = times_of(profile_of(code), args.runs)
                pooled += wall
                mid, hi = statistics.median(wall), p95(wall)
                print(f"{code:10} {n_rows:4d} {mid:8.1f} {hi:8.1f} {statistics.median(cpu):8.1f} "
                      f"{mid / max(n_rows, 1):7.2f} {mid / base:9.1f} {hi / base:9.1f}")
            mid, hi = statistics.median(pooled), p95(pooled)
            verdict = "meets" if hi <= TARGET_MS else "misses"
            print(f"{'all':10} {'':4} {mid:8.1f} {hi:8.1f} {'':8} {'':7} {mid / base:9.1f} {hi / base:9.1f}  "
                  f"({verdict} the {TARGET_MS:.0f} ms p95 target)")
            blank = blank_page_ms()
            print(report("build_profile p50", mid, blank))
            print(report("build_profile p95", hi, blank))
    finally:
        compare.compare_latest = current
    if args.reference:
        functions_only(profile_of, args.runs, frozen.old_compare_latest)


def page_numbers(switches: int) -> None:
    """The Council profile page's rerun after a council switch and after a measure switch (AppTest)."""
    import random
    import tempfile

    from streamlit.testing.v1 import AppTest

    from lm_core.store import build_db, get_engine

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LM_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        build_db(get_engine(os.environ["LM_DATABASE_URL"]))
        codes = sorted(load_processed()["authorities"]["area_code"])
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.switch_page("pages/council.py")
        at.query_params["council"] = COUNCILS[0]
        at.run()
        picks = random.Random(20241).sample([c for c in codes if c != COUNCILS[0]], switches)

        cpu: dict[str, list[float]] = {}

        def switch(key: str, value: str | None = None, index: int | None = None, kind: str = "") -> float:
            started, used = time.perf_counter(), time.process_time()
            box = at.selectbox(key=key)
            (box.set_value(value) if index is None else box.select_index(index)).run()
            assert not at.exception, at.exception
            cpu.setdefault(kind, []).append((time.process_time() - used) * 1000)
            return (time.perf_counter() - started) * 1000

        first = [switch("council_picker", c, kind="first") for c in picks]  # a profile not computed before
        again = [switch("council_picker", c, kind="again") for c in picks]  # cached per council, lens and k
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)  # a deep link to one measure
        at.switch_page("pages/council.py")
        at.query_params.update({"council": COUNCILS[0], "indicator": "household_recycling_rate"})
        at.run()
        n_measures = len(at.selectbox(key="indicator_picker").options)
        detail = [switch("indicator_picker", index=i, kind="detail")
                  for i in random.Random(7).sample(range(n_measures), min(switches, n_measures))]
    blank = blank_page_ms()
    print(f"Council profile page, whole rerun (AppTest, server side), {switches} switches each:")
    print("  (wall time; CPU time of the server process beside it, steadier when other work shares the machine)")
    for label, kind, xs in (("council switch, profile not computed before", "first", first),
                            ("council switch, profile already computed", "again", again),
                            ("measure switch (One measure in depth)", "detail", detail)):
        hi = p95(xs)
        verdict = "meets" if hi <= TARGET_MS else "misses"
        mid = statistics.median(xs)
        print(f"  {label:46} p50 {mid:6.0f} ms  p95 {hi:6.0f} ms  (CPU {statistics.median(cpu[kind]):4.0f} / "
              f"{p95(cpu[kind]):4.0f} ms; x{mid / blank:.0f} / x{hi / blank:.0f} a blank page; {verdict} "
              f"{TARGET_MS:.0f} ms p95)")
    print(report("blank page yardstick", blank, blank) + "\n")


def functions_only(profile_of: Callable[[str], Callable[[], Profile]], runs: int,
                   old_compare_latest: Callable[..., Any]) -> None:
    """The comparisons alone, replaying the compare_latest calls one build_profile makes, new and old
    interleaved (so both see the same load on the machine)."""
    calls: list[tuple[Any, ...]] = []
    new_compare = compare.compare_latest

    def record(*a: Any) -> compare.Comparison:
        calls.append(a)
        return new_compare(*a)

    print(f"\ncompare_latest only (the calls of one build_profile), {runs} runs, CPU ms")
    print(f"{'council':10} {'calls':>5} {'new p50':>8} {'old p50':>8} {'speed-up':>8}")
    for code in COUNCILS:
        calls.clear()
        compare.compare_latest = record  # type: ignore[assignment]
        try:
            profile_of(code)()
        finally:
            compare.compare_latest = new_compare
        spent: dict[str, list[float]] = {"new": [], "old": []}
        for _ in range(runs):
            for which, fn in (("new", new_compare), ("old", old_compare_latest)):
                c = time.process_time()
                for a in calls:
                    fn(*a)
                spent[which].append((time.process_time() - c) * 1000)
        new, old = statistics.median(spent["new"]), statistics.median(spent["old"])
        print(f"{code:10} {len(calls):5d} {new:8.1f} {old:8.1f} {old / new:7.1f}x")


if __name__ == "__main__":
    main()
