"""Peer groups from context only: distances, lenses, families, explanations, stability, hashes."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

METHOD_VERSION = "peers-1.0"
CONFIG_PATH = Path(__file__).with_name("peers.toml")
DEFAULT_K = 15
K_RANGE = (5, 30)
STABILITY_RUNS = 200


class PeerInputError(ValueError):
    """A peer definition asked for something that must not choose peers (e.g. an outcome)."""


@dataclass(frozen=True)
class Variable:
    """One context variable as the config describes it."""

    id: str
    label: str
    transform: str  # "log" or "none"
    high: str  # word for a high value in a family profile, e.g. "deprived"
    low: str  # word for a low value, e.g. "affluent"


@dataclass(frozen=True)
class Lens:
    """A named set of variables and weights."""

    name: str
    title: str
    description: str
    weights: dict[str, float]


@dataclass(frozen=True)
class PeerConfig:
    """Everything in peers.toml."""

    variables: dict[str, Variable]
    lenses: dict[str, Lens]
    tier_substitutes: dict[str, dict[str, str]] = field(default_factory=dict)


def load_config(path: Path = CONFIG_PATH) -> PeerConfig:
    """Read the lens definitions (one readable file, see the comments in it)."""
    raw = tomllib.loads(path.read_text())
    variables = {
        vid: Variable(id=vid, label=v["label"], transform=v.get("transform", "none"), high=v["high"], low=v["low"])
        for vid, v in raw["variables"].items()
    }
    lenses = {
        name: Lens(name=name, title=v["title"], description=v["description"],
                   weights={k: float(w) for k, w in v["weights"].items()})
        for name, v in raw["lenses"].items()
    }
    for lens in lenses.values():
        unknown = set(lens.weights) - set(variables)
        if unknown:
            raise PeerInputError(f"lens '{lens.name}' uses undeclared variables {sorted(unknown)}")
    return PeerConfig(variables=variables, lenses=lenses, tier_substitutes=raw.get("tier_substitutes", {}))


def check_inputs(variable_ids: list[str], catalogue: pd.DataFrame) -> None:
    """Refuse any variable that is not a context variable: outcomes never choose peers."""
    roles = catalogue.set_index("id")["role"]
    unknown = [v for v in variable_ids if v not in roles.index]
    if unknown:
        raise PeerInputError(f"unknown variables: {', '.join(unknown)}")
    outcomes = [v for v in variable_ids if roles[v] != "context"]
    if outcomes:
        raise PeerInputError(
            f"{', '.join(outcomes)} {'is an outcome' if len(outcomes) == 1 else 'are outcomes'}: "
            "peers are chosen from context only, never from the outcome being compared"
        )


def context_matrix(values: pd.DataFrame, catalogue: pd.DataFrame, codes: list[str],
                   variable_ids: list[str]) -> pd.DataFrame:
    """Latest published value of each context variable for each council (rows in `codes` order)."""
    check_inputs(variable_ids, catalogue)
    v = values[values["indicator_id"].isin(variable_ids) & values["area_code"].isin(codes) & values["value"].notna()]
    latest = v.sort_values("period_start").groupby(["area_code", "indicator_id"])["value"].last()
    return latest.unstack("indicator_id").reindex(index=codes, columns=variable_ids)


def standardise(matrix: pd.DataFrame, config: PeerConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Log where configured, then z-scores within the tier; gaps filled with the tier median (z = 0).

    Returns the z-scores and a mask of the filled cells, so a page can say which were imputed.
    """
    out = matrix.astype(float).copy()
    for col in out.columns:
        if config.variables[col].transform == "log":
            out[col] = np.log(out[col].clip(lower=1e-9))
    filled = out.isna()
    out = out.fillna(out.median())
    std = out.std(ddof=0).replace(0, 1.0)
    return (out - out.mean()) / std, filled


def distances(z: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """Weighted Euclidean distance between every pair of councils."""
    w = np.array([weights.get(c, 0.0) for c in z.columns])
    x = z.to_numpy() * np.sqrt(w)
    sq = (x**2).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    np.fill_diagonal(d2, 0.0)
    return np.sqrt(d2)


def similarity(d_row: np.ndarray) -> np.ndarray:
    """CIPFA-style rebasing: 100% is identical, 0% is the council's farthest council in the tier."""
    far = d_row.max()
    return 100.0 * (1.0 - d_row / far) if far > 0 else np.full_like(d_row, 100.0)


def nearest(z: pd.DataFrame, weights: dict[str, float], code: str, k: int) -> pd.DataFrame:
    """The k councils closest to `code`, ordered by similarity (a measure of likeness, not performance)."""
    if not K_RANGE[0] <= k <= K_RANGE[1]:
        raise PeerInputError(f"k must be between {K_RANGE[0]} and {K_RANGE[1]}, not {k}")
    if code not in z.index:
        raise PeerInputError(f"{code} is not a council of this tier")
    d = _row_distances(z, weights, code)
    sim = similarity(d)
    by_distance = np.argsort(d, kind="stable")
    order = by_distance[by_distance != z.index.get_loc(code)][:k]
    return pd.DataFrame({"area_code": z.index[order], "distance": d[order], "similarity": sim[order]})


def _row_distances(z: pd.DataFrame, weights: dict[str, float], code: str) -> np.ndarray:
    w = np.array([weights.get(c, 0.0) for c in z.columns])
    diff = z.to_numpy() - z.loc[code].to_numpy()
    return np.sqrt((diff**2 * w).sum(axis=1))


def contributions(z: pd.DataFrame, weights: dict[str, float], a: str, b: str) -> pd.Series:
    """Each variable's share of the distance between a and b, in distance units (they sum to it)."""
    w = np.array([weights.get(c, 0.0) for c in z.columns])
    diff = z.loc[a].to_numpy(dtype=float) - z.loc[b].to_numpy(dtype=float)
    sq = w * diff**2
    total = float(np.sqrt(sq.sum()))
    shares = sq / sq.sum() * total if total > 0 else sq * 0.0
    return pd.Series(shares, index=z.columns, dtype=float)


def shared_traits(z: pd.DataFrame, weights: dict[str, float], a: str, b: str) -> pd.Series:
    """How much each variable makes b like a: high where a is distinctive and b shares it.

    Two London boroughs are not "alike in rurality" in any useful sense (nobody is rural there);
    they are alike in density, which sets them apart from most councils. Score =
    weight × (|z_a| − |z_a − z_b|): positive when a stands out and b stands out the same way.
    """
    w = np.array([weights.get(c, 0.0) for c in z.columns])
    za = z.loc[a].to_numpy(dtype=float)
    zb = z.loc[b].to_numpy(dtype=float)
    return pd.Series(w * (np.abs(za) - np.abs(za - zb)), index=z.columns, dtype=float)


def explain(z: pd.DataFrame, weights: dict[str, float], a: str, b: str, names: dict[str, str],
            config: PeerConfig) -> str:
    """One sentence: what two councils chiefly share, and where they differ most."""
    used = [c for c in z.columns if weights.get(c, 0) > 0]
    if not used:
        return f"{names[b]} and {names[a]} are compared on no variables."
    share = shared_traits(z, weights, a, b)[used].sort_values(ascending=False)
    parts = contributions(z, weights, a, b)[used]
    differ = str(parts.idxmax())
    share = share.drop(differ)
    alike = [c for c in share.index[:2] if share[c] > 0] or list(parts.drop(differ).sort_values().index[:2])
    label = {c: config.variables[c].label for c in used}
    alike_words = " and ".join(label[c] for c in alike)
    return f"{names[b]} is like {names[a]} chiefly in {alike_words}; they differ most in {label[differ]}."


def stability(z: pd.DataFrame, weights: dict[str, float], code: str, k: int, runs: int = STABILITY_RUNS,
              seed: int = 20241) -> pd.Series:
    """Share of weight-jittered runs (each weight × U(0.5, 1.5)) in which each council stays a peer."""
    rng = np.random.default_rng(seed)
    cols = list(z.columns)
    w0 = np.array([weights.get(c, 0.0) for c in cols])
    diff2 = (z.to_numpy() - z.loc[code].to_numpy()) ** 2
    me = z.index.get_loc(code)
    counts = np.zeros(len(z))
    jitter = rng.uniform(0.5, 1.5, size=(runs, len(cols)))
    d = diff2 @ (jitter * w0).T  # councils × runs
    d[me, :] = np.inf
    top = np.argpartition(d, k, axis=0)[:k, :]
    np.add.at(counts, top.ravel(), 1)
    return pd.Series(100.0 * counts / runs, index=z.index)


def peer_hash(tier: str, lens: str, k: int, weights: dict[str, float], data_version: str) -> str:
    """A short, stable fingerprint of a peer definition: same inputs, same hash."""
    payload = json.dumps({"method": METHOD_VERSION, "tier": tier, "lens": lens, "k": k,
                          "weights": {kk: round(v, 6) for kk, v in sorted(weights.items()) if v > 0},
                          "data": data_version}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:10]
