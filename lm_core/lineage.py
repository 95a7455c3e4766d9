"""Move values published on retired codes onto the 2024 councils, never averaging unweighted."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lm_core.geography import ENGLAND_CODE, Geography
from lm_core.sources.base import IndicatorMeta


@dataclass
class Harmonised:
    """Values keyed on 2024 codes, plus a plain account of every roll-up and omission."""

    values: pd.DataFrame
    log: list[str] = field(default_factory=list)


def _existed(existence: pd.DataFrame, code: str, start: str) -> bool:
    """Whether an authority existed at the start of a period (so a merger needs its figure)."""
    rows = existence[existence["code"] == code]
    if rows.empty:
        return False
    begin, end = str(rows["start_date"].iloc[0]), str(rows["end_date"].iloc[0])
    return (not begin or begin <= start) and (not end or start < end)


def harmonise(values: pd.DataFrame, catalogue: dict[str, IndicatorMeta], geo: Geography) -> Harmonised:
    """Re-key values on current councils: keep, recode, roll up or mark not available, with reasons."""
    current = set(geo.authorities["area_code"]) | {ENGLAND_CODE}
    lineage = geo.lineage
    weights = {str(k): float(v) for k, v in zip(geo.existence["code"], geo.existence["population_2020"], strict=True)}
    names_of = dict(zip(geo.existence["code"], geo.existence["name"], strict=True))
    log: list[str] = []

    kept = values[values["area_code"].isin(current)]
    retired = values[~values["area_code"].isin(current)]
    unknown = retired[~retired["area_code"].isin(lineage["old_code"])]
    for (ind, code), grp in unknown.groupby(["indicator_id", "area_code"]):
        log.append(f"{ind}: left out {len(grp)} rows for {code}: not an English council code on any vintage")
    retired = retired[retired["area_code"].isin(lineage["old_code"])]

    published = set(zip(kept["indicator_id"], kept["period"], kept["area_code"], strict=True))
    made: list[dict[str, object]] = []

    # Recodes: the same ground under another code; a figure published on the current code wins.
    recode_map = lineage[lineage["kind"] == "recode"].set_index("old_code")["new_code"].to_dict()
    recoded = retired[retired["area_code"].isin(recode_map)].copy()
    recoded["old_code"] = recoded["area_code"]
    recoded["area_code"] = recoded["area_code"].map(recode_map)
    dupes = [
        (i, p, c) in published for i, p, c in zip(
            recoded["indicator_id"], recoded["period"], recoded["area_code"], strict=True)
    ]
    recoded = recoded[~np.array(dupes, dtype=bool)] if len(recoded) else recoded
    for (ind, old, new), grp in recoded.groupby(["indicator_id", "old_code", "area_code"]):
        log.append(f"{ind}: {len(grp)} periods of {old} carried to {new} (same area, earlier code)")
    recoded = recoded.drop(columns=["old_code"])
    published |= set(zip(recoded["indicator_id"], recoded["period"], recoded["area_code"], strict=True))

    # Mergers: several predecessors into one successor.
    mergers = lineage[lineage["kind"] == "merger"]
    merge_map = mergers.set_index("old_code")["new_code"].to_dict()
    to_merge = retired[retired["area_code"].isin(merge_map)].copy()
    to_merge["successor"] = to_merge["area_code"].map(merge_map)
    for (ind, period, succ), grp in to_merge.groupby(["indicator_id", "period", "successor"]):
        if (ind, period, succ) in published:
            continue
        meta = catalogue[str(ind)]
        start = str(grp["period_start"].iloc[0])
        expected = {
            c for c in mergers.loc[mergers["new_code"] == succ, "old_code"] if _existed(geo.existence, c, start)
        }
        row, line = _roll_up(meta, grp, expected, weights, str(succ), names_of)
        row.update({"area_code": succ, "indicator_id": ind, "period": period, "period_start": start})
        made.append(row)
        log.append(f"{ind} {period}: {line}")
        published.add((ind, period, succ))

    # Splits and partial areas: successors get an explicit "not available" with the reason.
    cannot = lineage[lineage["kind"].isin(["split", "partial"])]
    for _, link in cannot.iterrows():
        rows = retired[retired["area_code"] == link["old_code"]]
        for (ind, period), grp in rows.groupby(["indicator_id", "period"]):
            if (ind, period, link["new_code"]) in published:
                continue
            made.append(_missing(link["new_code"], str(ind), str(period), str(grp["period_start"].iloc[0]),
                                 f"not available: {link['reason']}"))
            published.add((ind, period, link["new_code"]))
        if len(rows):
            log.append(f"{link['old_code']} ({link['old_name']}): {len(rows)} rows not carried to "
                       f"{link['new_name']}: {link['reason']}")

    out = pd.concat([kept, recoded, pd.DataFrame(made)], ignore_index=True)
    out = out.loc[:, list(values.columns)]
    for col in ("note", "status"):
        out[col] = out[col].fillna("").astype("str")
    return Harmonised(values=out.sort_values(["indicator_id", "area_code", "period_start"]).reset_index(drop=True),
                      log=log)


def _missing(code: str, ind: str, period: str, start: str, note: str, status: str = "x") -> dict[str, object]:
    nan = float("nan")
    return {"area_code": code, "indicator_id": ind, "period": period, "period_start": start, "value": nan,
            "lower": nan, "upper": nan, "numerator": nan, "denominator": nan, "status": status, "note": note}


def _roll_up(
    meta: IndicatorMeta, grp: pd.DataFrame, expected: set[str], weights: dict[str, float], succ: str,
    names_of: dict[str, str],
) -> tuple[dict[str, object], str]:
    """One successor figure from its predecessors' figures, or the reason there is none."""
    nan = float("nan")
    names = ", ".join(sorted(grp["area_code"]))
    present = set(grp["area_code"])
    missing = sorted(expected - present)
    base = _missing(succ, meta.id, "", "", "")
    if meta.rollup == "none":
        base["note"] = f"not available: {meta.title.lower()} cannot be combined across the merged councils"
        return base, f"{succ} not available (figures cannot be combined; predecessors {names})"
    if missing:
        who = ", ".join(f"{names_of.get(c, c)} ({c})" for c in missing)
        base["note"] = f"not available: no figure for {who}, part of this council's area at the time"
        return base, f"{succ} not available (missing predecessor(s) {', '.join(missing)})"
    statuses = set(grp["status"])
    if statuses & {"c"}:
        base.update(status="c", note="suppressed: a predecessor's figure was suppressed")
        return base, f"{succ} suppressed (a predecessor was suppressed)"
    if statuses & {"x", "z"} or grp["value"].isna().any():
        base["note"] = "not available: a predecessor's figure was not available"
        return base, f"{succ} not available (a predecessor had no figure)"
    status = "u" if "u" in statuses else ""
    num, den, val = grp["numerator"], grp["denominator"], grp["value"]
    if meta.rollup == "sum":
        value = float(val.sum())
        row = base | {"value": value, "status": status, "note": f"sum of {names}",
                      "numerator": float(num.sum()) if num.notna().all() else nan,
                      "denominator": float(den.sum()) if den.notna().all() else nan}
        return row, f"{succ} = sum of {names}"
    if num.notna().all() and den.notna().all() and (den > 0).all() and (num > 0).any():
        # The published rate's own scale (per cent, per 1,000, ...) recovered from its parts;
        # true zeros still count in the sums but cannot reveal the scale.
        nonzero = num > 0
        scale = float(np.median(val[nonzero] * den[nonzero] / num[nonzero]))
        value = scale * float(num.sum()) / float(den.sum())
        row = base | {"value": value, "numerator": float(num.sum()), "denominator": float(den.sum()),
                      "status": status, "note": f"recalculated from the summed numerators and denominators of {names}"}
        return row, f"{succ} = sum(numerators)/sum(denominators) of {names}"
    pops = [weights.get(c, nan) for c in grp["area_code"]]
    if all(p == p and p > 0 for p in pops):
        value = float(np.average(val, weights=pops))
        row = base | {"value": value, "status": status,
                      "note": f"population-weighted (2020 populations) from {names}"}
        return row, f"{succ} = population-weighted mean of {names}"
    base["note"] = f"not available: no population weight for a predecessor among {names}"
    return base, f"{succ} not available (no population weight among {names})"
