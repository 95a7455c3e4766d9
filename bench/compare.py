"""Profile-page speed: one build_profile per council switch (prints numbers; asserts nothing).

Run: python bench/compare.py [--runs N] [--reference]
Target: one build_profile <= 250 ms p95 (what the user waits for when switching council).
Times are wall-clock, with CPU time beside them (steadier when other work shares the machine), and
also given as a ratio to a baseline measured in the same run (pd.DataFrame.copy of the whole values
table), so machines of different speed can be compared. --reference also times the frozen pandas
implementation of compare.latest_rows / compare.compare_indicator kept in tests/unit/test_compare.py
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
    args = parser.parse_args()

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
            compare.latest_rows = frozen.old_latest_rows
            compare.compare_indicator = frozen.old_compare_indicator

        variants.append(("reference compare (frozen pandas implementation)", use_reference))

    current = (compare.latest_rows, compare.compare_indicator)
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
        compare.latest_rows, compare.compare_indicator = current
    if args.reference:
        functions_only(profile_of, args.runs, frozen.old_latest_rows, frozen.old_compare_indicator)


def functions_only(profile_of: Callable[[str], Callable[[], Profile]], runs: int,
                   old_latest: Callable[..., Any], old_compare: Callable[..., Any]) -> None:
    """latest_rows + compare_indicator alone, replaying the calls one build_profile makes, new and old
    interleaved (so both see the same load on the machine)."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    new_latest, new_compare = compare.latest_rows, compare.compare_indicator

    def record(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any) -> Any:
            calls.append((name, a))
            return fn(*a)
        return wrapped

    print(f"\nlatest_rows + compare_indicator only (the calls of one build_profile), {runs} runs, CPU ms")
    print(f"{'council':10} {'calls':>5} {'new p50':>8} {'old p50':>8} {'speed-up':>8}")
    for code in COUNCILS:
        calls.clear()
        compare.latest_rows = record("latest", new_latest)
        compare.compare_indicator = record("compare", new_compare)
        try:
            profile_of(code)()
        finally:
            compare.latest_rows, compare.compare_indicator = new_latest, new_compare
        impls: dict[str, dict[str, Callable[..., Any]]] = {
            "new": {"latest": new_latest, "compare": new_compare},
            "old": {"latest": old_latest, "compare": old_compare},
        }
        spent: dict[str, list[float]] = {"new": [], "old": []}
        for _ in range(runs):
            for which, fns in impls.items():
                c = time.process_time()
                for name, a in calls:
                    fns[name](*a)
                spent[which].append((time.process_time() - c) * 1000)
        new, old = statistics.median(spent["new"]), statistics.median(spent["old"])
        print(f"{code:10} {len(calls):5d} {new:8.1f} {old:8.1f} {old / new:7.1f}x")


if __name__ == "__main__":
    main()
