"""Peer groups for a council: context from the store -> peers, explanations, stability, saved sets."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from lm_core import peers
from lm_core.families import Families, cluster
from lm_core.peers import PeerConfig, PeerInputError
from lm_core.store import PeerMember, PeerSet

TIERS = ("lower", "upper")


@dataclass(frozen=True)
class TierContext:
    """The standardised context of one tier: the only thing peers are computed from."""

    tier: str
    raw: pd.DataFrame
    z: pd.DataFrame
    imputed: pd.DataFrame
    names: dict[str, str]


@dataclass(frozen=True)
class PeerResult:
    """One council's peers under one definition, with the definition's hash."""

    code: str
    tier: str
    lens: str
    k: int
    weights: dict[str, float]
    hash: str
    data_version: str
    members: pd.DataFrame  # area_code, area_name, similarity, stability, distance, explanation


def tier_of(authorities: pd.DataFrame, code: str, tier: str | None = None) -> str:
    """The tier to compare a council in: the one asked for, else lower for districts and unitaries."""
    row = authorities.set_index("area_code").loc[code]
    if tier:
        if not bool(row[f"is_{tier}"]):
            raise PeerInputError(f"{row['area_name']} is not a {tier}-tier council")
        return tier
    return "lower" if bool(row["is_lower"]) else "upper"


def tier_context(values: pd.DataFrame, catalogue: pd.DataFrame, authorities: pd.DataFrame, tier: str,
                 config: PeerConfig) -> TierContext:
    """Raw and standardised context for every council of a tier, on every configured variable."""
    codes = list(authorities.loc[authorities[f"is_{tier}"], "area_code"])
    variable_ids = list(config.variables)
    raw = peers.context_matrix(values, catalogue, codes, variable_ids)
    z, imputed = peers.standardise(raw, config)
    names = dict(zip(authorities["area_code"], authorities["area_name"], strict=True))
    return TierContext(tier=tier, raw=raw, z=z, imputed=imputed, names=names)


def lens_weights(config: PeerConfig, lens: str, overrides: dict[str, float] | None = None) -> dict[str, float]:
    """A lens's weights, with any user overrides (0 switches a variable off)."""
    if lens not in config.lenses:
        raise PeerInputError(f"unknown lens '{lens}' (choose from {', '.join(config.lenses)})")
    weights = dict(config.lenses[lens].weights)
    for var, w in (overrides or {}).items():
        if var not in config.variables:
            raise PeerInputError(f"'{var}' is not a context variable of the peer model")
        weights[var] = float(w)
    if not any(w > 0 for w in weights.values()):
        raise PeerInputError("at least one variable needs a weight above zero")
    return weights


def find_peers(ctx: TierContext, config: PeerConfig, code: str, lens: str = "overall", k: int = peers.DEFAULT_K,
               data_version: str = "", overrides: dict[str, float] | None = None) -> PeerResult:
    """Nearest councils with similarity, stability under weight jitter, and a sentence each."""
    weights = lens_weights(config, lens, overrides)
    near = peers.nearest(ctx.z, weights, code, k)
    stable = peers.stability(ctx.z, weights, code, k)
    members = near.assign(
        area_name=near["area_code"].map(ctx.names),
        stability=near["area_code"].map(stable),
        explanation=[peers.explain(ctx.z, weights, code, b, ctx.names, config) for b in near["area_code"]],
    )[["area_code", "area_name", "similarity", "stability", "distance", "explanation"]]
    lens_name = lens if not overrides else f"{lens} (adjusted)"
    return PeerResult(code=code, tier=ctx.tier, lens=lens_name, k=k, weights=weights,
                      hash=peers.peer_hash(ctx.tier, lens_name, k, weights, data_version),
                      data_version=data_version, members=members.reset_index(drop=True))


def family_of(ctx: TierContext, config: PeerConfig, lens: str = "overall", method: str = "kmeans") -> Families:
    """Families of the tier under a lens."""
    return cluster(ctx.z, lens_weights(config, lens), config, method=method)


def save_peer_set(engine: Engine, result: PeerResult) -> bool:
    """Store a peer set under its hash (once); True when it was new."""
    try:
        with engine.connect() as conn:
            if conn.execute(select(PeerSet.hash).where(PeerSet.hash == result.hash)).first():
                return False
    except OperationalError:
        return False  # no peer-set table (a read-only or older store): the record is optional
    used = [v for v, w in sorted(result.weights.items()) if w > 0]
    try:
        with engine.begin() as conn:
            conn.execute(insert(PeerSet), [{
                "hash": result.hash, "area_code": result.code, "tier": result.tier, "lens": result.lens,
                "k": result.k, "method_version": peers.METHOD_VERSION, "variables": json.dumps(used),
                "weights": json.dumps({v: result.weights[v] for v in used}, sort_keys=True),
                "data_version": result.data_version}])
            conn.execute(insert(PeerMember), [
                {"hash": result.hash, "peer_code": str(code), "position": i + 1,
                 "similarity": float(sim), "stability": float(stab)}
                for i, (code, sim, stab) in enumerate(zip(result.members["area_code"], result.members["similarity"],
                                                          result.members["stability"], strict=True))])
    except IntegrityError:
        return False  # another session stored the same set first
    except OperationalError:
        return False  # a read-only store: peers are still shown, the record is simply not kept
    return True


def to_json(result: PeerResult) -> dict[str, object]:
    """A peer set as plain JSON (for the CLI and exports): rounded so output is stable across databases."""
    return {
        "council": result.code, "tier": result.tier, "lens": result.lens, "k": result.k,
        "hash": result.hash, "method_version": peers.METHOD_VERSION, "data_version": result.data_version,
        "weights": {v: w for v, w in sorted(result.weights.items()) if w > 0},
        "peers": [{"code": str(r["area_code"]), "name": str(r["area_name"]),
                   "similarity_pct": round(float(r["similarity"]), 1),
                   "stability_pct": round(float(r["stability"]), 1), "why": str(r["explanation"])}
                  for r in result.members.to_dict("records")],
    }
