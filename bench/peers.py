"""Peer-group speed and agreement with open references (prints numbers; asserts nothing).

Run: python bench/peers.py
Targets (issue: peer groups): all 15-NN sets for both tiers plus families <= 100 ms;
one weight change recomputed well under 250 ms. Times are also given as a ratio to a
baseline measured in the same run (a plain NumPy all-pairs distance on the same matrix),
so machines of different speed can be compared.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from blank_page import blank_page_ms, report
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from lm_core import peers
from lm_core.build import load_processed
from lm_core.families import SEED, cluster
from lm_core.paths import default_sources_dir
from lm_core.peer_groups import find_peers, tier_context
from lm_core.peers import load_config


def best_of(fn, repeat: int = 7) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    t = load_processed()
    config = load_config()
    ctxs = {tier: tier_context(t["values"], t["indicators"], t["authorities"], tier, config)
            for tier in ("lower", "upper")}
    weights = config.lenses["overall"].weights
    ks = {tier: cluster(ctx.z, weights, config).k for tier, ctx in ctxs.items()}

    def baseline() -> None:
        for ctx in ctxs.values():
            x = ctx.z.to_numpy()
            ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)

    def all_sets_and_families() -> None:
        with threadpool_limits(1):
            for tier, ctx in ctxs.items():
                d = peers.distances(ctx.z, weights)
                np.fill_diagonal(d, np.inf)
                np.argpartition(d, 15, axis=1)[:, :15]
                w = np.sqrt([weights.get(c, 0.0) for c in ctx.z.columns])
                KMeans(n_clusters=ks[tier], n_init=4, random_state=SEED).fit(ctx.z.to_numpy() * w)

    def one_weight_change() -> None:
        find_peers(ctxs["lower"], config, "E07000117", "overall", 15, "bench", {"population": 2.0})

    base = best_of(baseline)
    full = best_of(all_sets_and_families)
    change = best_of(one_weight_change)
    print(f"baseline (NumPy all-pairs distances, both tiers): {base * 1000:7.1f} ms")
    print(f"all 15-NN sets, both tiers, plus families:        {full * 1000:7.1f} ms  "
          f"(x{full / base:.1f} baseline; target <= 100 ms)")
    print(f"one weight change (peers + stability + why):      {change * 1000:7.1f} ms  "
          f"(x{change / base:.1f} baseline; target < 250 ms)")
    print(f"families chosen by silhouette: lower k={ks['lower']}, upper k={ks['upper']}")
    blank = blank_page_ms()
    print(report("all peer sets and families", full * 1000, blank))
    print(report("one weight change", change * 1000, blank))

    root = default_sources_dir()
    if root.is_dir():
        from lm_core.sources.dfe_lait import read_statistical_neighbours
        from lm_core.validation import mean_overlap, ons_neighbours

        ons = ons_neighbours(root)
        sn = read_statistical_neighbours(root)
        dfe = {c: list(g.sort_values("position")["neighbour_code"]) for c, g in sn.groupby("area_code")}
        for lens in config.lenses:
            o, n = mean_overlap(ctxs["lower"], config, lens, ons, 20)
            d, m = mean_overlap(ctxs["upper"], config, lens, dfe, 10)
            print(f"lens {lens:8}: overlap with ONS 20 most similar {o:.2f} (n={n}); "
                  f"with DfE 10 statistical neighbours {d:.2f} (n={m})")
        print("chance overlap: about 0.07 for both references")


if __name__ == "__main__":
    main()
