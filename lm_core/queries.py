"""Read-side questions the pages ask of the store; every page goes through these, never SQL."""

from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import Engine

from lm_core.sources.base import SERVICE_AREAS
from lm_core.store import Authority, Indicator, Lineage, Meta, Value, read_table


def authorities(engine: Engine) -> pd.DataFrame:
    """Every current council, both tiers, in code order."""
    return read_table(engine, Authority).sort_values("area_code").reset_index(drop=True)


def catalogue(engine: Engine) -> pd.DataFrame:
    """Every indicator's catalogue record, grouped by role and service area."""
    table = read_table(engine, Indicator)
    # Oflog's own families first, then the wider outcomes, then context: the order of SERVICE_AREAS.
    order = {area: i for i, area in enumerate(SERVICE_AREAS)}
    table = table.assign(_order=table["service_area"].map(order).fillna(len(order)))
    return table.sort_values(["role", "_order", "title"], ascending=[False, True, True]).drop(
        columns="_order").reset_index(drop=True)


def lineage(engine: Engine) -> pd.DataFrame:
    """Retired codes and where their figures went."""
    return read_table(engine, Lineage).drop(columns="id")


def store_facts(engine: Engine) -> dict[str, str]:
    """Schema and data version of the loaded store."""
    meta = read_table(engine, Meta)
    return dict(zip(meta["key"], meta["value"], strict=True))


def values_for(engine: Engine, indicator_ids: list[str] | None = None,
               area_codes: list[str] | None = None) -> pd.DataFrame:
    """Values filtered in SQL by indicator and/or area."""
    clauses = []
    if indicator_ids is not None:
        clauses.append(Value.indicator_id.in_(indicator_ids))
    if area_codes is not None:
        clauses.append(Value.area_code.in_(area_codes))
    where = None
    if clauses:
        from sqlalchemy import and_

        where = and_(*clauses)
    return read_table(engine, Value, where).sort_values(["indicator_id", "area_code", "period_start"])


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def find_councils(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """Councils whose name or code contains the typed text, ignoring case and punctuation."""
    q = _fold(query)
    if not q:
        return table.iloc[0:0]
    names = table["area_name"].map(_fold) + " " + table["official_name"].map(_fold)
    hit = names.str.contains(q, regex=False) | table["area_code"].str.lower().eq(q)
    # Names starting with the query first, then the rest alphabetically: a search order, not a ranking.
    starts = table["area_name"].map(_fold).str.startswith(q)
    out = table[hit].assign(_starts=~starts[hit]).sort_values(["_starts", "area_name"])
    return out.drop(columns="_starts")


def applicable_indicators(table: pd.DataFrame, is_lower: bool, is_upper: bool,
                          role: str = "outcome") -> pd.DataFrame:
    """Indicators published for a council's tier(s)."""
    tiers = {"both"} | ({"lower"} if is_lower else set()) | ({"upper"} if is_upper else set())
    return table[(table["role"] == role) & table["tier"].isin(tiers)]
