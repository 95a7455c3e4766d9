"""Families: councils clustered on context (k-means and Ward), k chosen by silhouette, profiled in words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from lm_core.peers import PeerConfig

FAMILY_K = range(6, 11)
SEED = 20241


@dataclass(frozen=True)
class Families:
    """One clustering of a tier: labels, the k chosen, silhouettes tried, and a profile per family."""

    method: str
    k: int
    silhouettes: dict[int, float]
    labels: pd.Series  # area_code -> family number (1-based)
    profiles: dict[int, str]


def _weighted(z: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    w = np.array([weights.get(c, 0.0) for c in z.columns])
    return z.to_numpy() * np.sqrt(w)


def cluster(z: pd.DataFrame, weights: dict[str, float], config: PeerConfig, method: str = "kmeans",
            k_range: range = FAMILY_K) -> Families:
    """Cluster for each k in the range and keep the k with the best silhouette (recorded)."""
    x = _weighted(z, weights)
    best: tuple[float, int, np.ndarray] | None = None
    scores: dict[int, float] = {}
    with threadpool_limits(1):  # council-scale fits are faster single-threaded on small machines
        best, scores = _sweep(x, method, k_range)
    assert best is not None
    _, k, labels = best
    # Number families by size, largest first, so numbering is stable across identical runs.
    sizes = pd.Series(labels).value_counts()
    order = {old: new + 1 for new, old in enumerate(sorted(sizes.index, key=lambda c: (-sizes[c], c)))}
    series = pd.Series([order[c] for c in labels], index=z.index, name="family")
    profiles = {fam: profile(z.loc[series == fam], weights, config) for fam in sorted(set(series))}
    return Families(method=method, k=k, silhouettes=scores, labels=series, profiles=profiles)


def profile(members: pd.DataFrame, weights: dict[str, float], config: PeerConfig, words: int = 3) -> str:
    """A plain-English line from the family's centroid: its most distinctive variables, in words."""
    centroid = members.mean()
    used = centroid[[c for c in centroid.index if weights.get(c, 0) > 0]]
    top = used.abs().sort_values(ascending=False).index[:words]
    parts = []
    for c in top:
        v = config.variables[c]
        z = used[c]
        if abs(z) < 0.3:
            continue
        parts.append(v.high if z > 0 else v.low)
    if not parts:
        return f"close to the average council ({len(members)} councils)"
    return ", ".join(parts) + f" ({len(members)} councils)"


def _sweep(x: np.ndarray, method: str, k_range: range) -> tuple[tuple[float, int, np.ndarray] | None, dict[int, float]]:
    """Fit each k and keep the best silhouette."""
    best: tuple[float, int, np.ndarray] | None = None
    scores: dict[int, float] = {}
    for k in k_range:
        if method == "kmeans":
            labels = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit_predict(x)
        elif method == "ward":
            labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
        else:
            raise ValueError(f"unknown clustering method {method}")
        score = float(silhouette_score(x, labels))
        scores[k] = round(score, 4)
        if best is None or score > best[0] + 1e-12:
            best = (score, k, labels)
    return best, scores
