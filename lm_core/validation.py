"""How our context peers agree with open references: ONS similar areas and DfE statistical neighbours."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lm_core import peers
from lm_core.geography import CODES_2025_TO_2024
from lm_core.peer_groups import TierContext
from lm_core.peers import PeerConfig
from lm_core.sources.base import SourceError

ONS_FOLDER = "ons-els-clusters"


def ons_neighbours(root: Path, model: str = "global") -> dict[str, list[str]]:
    """ONS's 20 most similar areas per council, on 2024 codes, English councils only."""
    path = root / ONS_FOLDER / f"{model}-neighbours.csv"
    if not path.exists():
        raise SourceError(path, "file not found")
    raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str).replace(CODES_2025_TO_2024)
    out: dict[str, list[str]] = {}
    for _, row in raw.iterrows():
        code = str(row["AREACD"])
        out[code] = [str(v) for v in row.drop("AREACD").dropna() if str(v).startswith("E")]
    return out


def mean_overlap(ctx: TierContext, config: PeerConfig, lens: str, reference: dict[str, list[str]],
                 k: int) -> tuple[float, int]:
    """Mean share of a reference list's first k councils (within the tier) that our k nearest also hold."""
    weights = config.lenses[lens].weights
    shares = []
    for code in ctx.z.index:
        theirs = [c for c in reference.get(code, []) if c in ctx.z.index][:k]
        if not theirs:
            continue
        ours = set(peers.nearest(ctx.z, weights, code, k)["area_code"])
        shares.append(len(ours & set(theirs)) / len(theirs))
    return (sum(shares) / len(shares) if shares else float("nan")), len(shares)
