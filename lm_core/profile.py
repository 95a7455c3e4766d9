"""A council's profile: every outcome that applies to it, compared with its peers in the right tier."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from lm_core import compare, peers
from lm_core.compare import Comparison
from lm_core.frames import records
from lm_core.peer_groups import TierContext, lens_weights
from lm_core.peers import PeerConfig
from lm_core.sources.base import SERVICE_AREAS, STATUS_CODES
from lm_core.upload import value_rule

# Money measures whose level depends on what kind of council it is (a district spends a fraction of
# what a unitary does): compared with peers of the same kind only, so like is set beside like.
SAME_KIND_ONLY = frozenset({
    "non_ringfenced_reserves_pct_of_nre",
    "unallocated_reserves_pct_of_nre",
    "council_tax_band_d_area_total",
    "council_tax_band_d_upper_tier",
    "council_tax_band_d_upper_tier_change_pct",
    "council_tax_band_d_district",
    "council_tax_band_d_district_change_pct",
})
KIND_WORDS = {"district": "district councils", "county": "county councils", "single-tier": "single-tier councils"}


def council_kind(code: str) -> str:
    """District (E07), county (E10), or single-tier (unitary, metropolitan, London)."""
    if code.startswith("E07"):
        return "district"
    if code.startswith("E10"):
        return "county"
    return "single-tier"


@dataclass(frozen=True)
class ProfileRow:
    """One indicator for one council: whose figure it is, against which peers, and the comparison."""

    indicator_id: str
    service_area: str
    tier: str
    subject_code: str  # the council, or for a district the county that runs the service
    subject_name: str
    peer_codes: tuple[str, ...]
    comparison: Comparison
    run_by: str = ""  # e.g. "Adult social care here is run by Kent County Council."
    peers_note: str = ""


@dataclass
class Profile:
    """Everything the profile page shows, computed once per council, lens and k."""

    code: str
    name: str
    lens: str
    k: int
    rows: list[ProfileRow]
    peer_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per tier, for the council itself

    def by_service_area(self) -> list[tuple[str, list[ProfileRow]]]:
        """Rows grouped in the order of SERVICE_AREAS (Oflog's families first)."""
        out = []
        for area in SERVICE_AREAS:
            rows = [r for r in self.rows if r.service_area == area]
            if rows:
                out.append((area, rows))
        return out


def split_by_indicator(values: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Values grouped once per indicator, so each comparison filters a small frame."""
    # Plain Python strings: Arrow-backed string columns make the many small filters below ~3x slower.
    text = {c: object for c in values.columns if values[c].dtype != "float64"}
    plain = values.astype(text).copy()  # one block per dtype: the many small takes below get cheaper
    return {str(k): g.reset_index(drop=True) for k, g in plain.groupby("indicator_id", sort=False)}


def nearest_codes(ctx: TierContext, weights: dict[str, float], code: str, k: int, same_kind: bool) -> tuple[str, ...]:
    """The k nearest councils in the tier; for same-kind measures, among councils of the same kind only."""
    z = ctx.z
    if same_kind:
        kind = council_kind(code)
        z = z[[council_kind(c) == kind for c in z.index.tolist()]]
        k = min(k, len(z) - 1)
    if k < 1:
        return ()
    near = peers.nearest(z, weights, code, max(k, peers.K_RANGE[0])) if k >= peers.K_RANGE[0] else \
        _nearest_small(z, weights, code, k)
    return tuple(near["area_code"].iloc[:k])


def _nearest_small(z: pd.DataFrame, weights: dict[str, float], code: str, k: int) -> pd.DataFrame:
    """nearest() for groups too small for the usual k range (e.g. the 21 counties, k capped)."""
    w = pd.Series({c: weights.get(c, 0.0) for c in z.columns})
    d = (((z - z.loc[code]) ** 2) * w).sum(axis=1) ** 0.5
    d = d.drop(code).sort_values(kind="stable")
    return pd.DataFrame({"area_code": d.index[:k]})


def build_profile(code: str, authorities: pd.DataFrame, catalogue: pd.DataFrame,
                  by_indicator: Mapping[str, pd.DataFrame], contexts: Mapping[str, TierContext],
                  config: PeerConfig, lens: str = "overall", k: int = peers.DEFAULT_K,
                  indicator_ids: Sequence[str] | None = None) -> Profile:
    """Compare a council on every outcome for its tier(s); the county's figure where the county runs it."""
    table = authorities.set_index("area_code")
    me = table.loc[code]
    names = dict(zip(authorities["area_code"], authorities["area_name"], strict=True))
    weights = lens_weights(config, lens)
    own_tier = "lower" if bool(me["is_lower"]) else "upper"
    county = str(me["county_code"]) if bool(me["is_lower"]) and not bool(me["is_upper"]) else ""
    peer_cache: dict[tuple[str, str, bool], tuple[str, ...]] = {}

    def peers_for(subject: str, tier: str, same_kind: bool) -> tuple[str, ...]:
        key = (subject, tier, same_kind)
        if key not in peer_cache:
            peer_cache[key] = nearest_codes(contexts[tier], weights, subject, k, same_kind)
        return peer_cache[key]

    rows: list[ProfileRow] = []
    outcomes = catalogue[catalogue["role"] == "outcome"]
    if indicator_ids is not None:
        outcomes = outcomes[outcomes["id"].isin(indicator_ids)]
    for ind in records(outcomes):
        tier_pub = str(ind["tier"])
        if tier_pub == "upper" and not bool(me["is_upper"]):
            if not county:
                continue
            subject, tier = county, "upper"
            run_by = f"{ind['service_area']} here is run by {table.at[county, 'official_name']!s}; its figure is shown."
        elif tier_pub == "lower" and not bool(me["is_lower"]):
            continue
        else:
            subject, tier = code, ("upper" if tier_pub == "upper" else own_tier)
            run_by = ""
        same_kind = ind["id"] in SAME_KIND_ONLY
        peer_codes = peers_for(subject, tier, same_kind)
        frame = by_indicator.get(str(ind["id"]))
        if frame is None:
            continue
        comparison = compare.compare_latest(subject, peer_codes, frame, str(ind["id"]), ind)
        note = f"Compared with {KIND_WORDS[council_kind(subject)]} only." if same_kind else ""
        rows.append(ProfileRow(indicator_id=str(ind["id"]), service_area=str(ind["service_area"]), tier=tier,
                               subject_code=subject, subject_name=names.get(subject, subject),
                               peer_codes=peer_codes, comparison=comparison, run_by=run_by, peers_note=note))
    own = {t: peers_for(code, t, False) for t in ("lower", "upper") if bool(me[f"is_{t}"])}
    return Profile(code=code, name=str(me["area_name"]), lens=lens, k=k, rows=rows, peer_codes=own)


def status_words(status: str) -> str:
    """Suppressed, not available and not applicable are three different things, said plainly."""
    return {"c": "Suppressed [c]", "x": "Not available [x]", "z": "Not applicable [z]",
            "u": "Low reliability [u]"}.get(status, STATUS_CODES.get(status, status))


def typical_range_text(c: Comparison, unit: str, fmt: Callable[[float | None], str]) -> str:
    """The typical range in words; a range cannot dip below zero for a measure that cannot be negative."""
    if c.band_low is None or c.band_high is None:
        return "too few similar councils with data" if c.value is not None else ""
    low = c.band_low if value_rule(unit).allow_negative else max(c.band_low, 0.0)
    return f"{fmt(low)} to {fmt(c.band_high)}"


SUMMARY_COLUMNS = ("indicator_id", "service_area", "measure", "whose_figure", "area_code", "period", "value",
                   "similar_councils_median", "typical_range", "compared_with_similar_councils", "how_we_know",
                   "peers_with_data", "england", "note")


def catalogue_facts(catalogue: pd.DataFrame) -> dict[str, dict[str, object]]:
    """id → unit, decimals, title as plain Python values: indexing a small Arrow-string frame row by row
    costs more than formatting the whole table."""
    return {str(r["id"]): r for r in records(catalogue[["id", "unit", "decimals", "title"]])}


def summary_records(rows: Sequence[ProfileRow], catalogue: pd.DataFrame | Mapping[str, Mapping[str, object]]
                    ) -> list[dict[str, object]]:
    """One plain dict per row (the columns of SUMMARY_COLUMNS); see summary_table."""
    meta = catalogue_facts(catalogue) if isinstance(catalogue, pd.DataFrame) else catalogue
    out: list[dict[str, object]] = []
    for r in rows:
        c = r.comparison
        facts = meta[r.indicator_id]
        unit, decimals = str(facts["unit"]), int(str(facts["decimals"]))

        def fmt(v: float | None, unit: str = unit, decimals: int = decimals) -> str:
            return "" if v is None else compare.format_value(v, unit, decimals)

        value_text = fmt(c.value) if c.value is not None else status_words(c.status)
        if c.value is not None and c.status == "u":
            value_text += " (low reliability)"
        out.append({
            "indicator_id": r.indicator_id,
            "service_area": r.service_area,
            "measure": str(facts["title"]),
            "whose_figure": r.subject_name,
            "area_code": r.subject_code,
            "period": c.period,
            "value": value_text,
            "similar_councils_median": fmt(c.peer_median),
            "typical_range": typical_range_text(c, unit, fmt),
            "compared_with_similar_councils": c.label,
            "how_we_know": c.method,
            "peers_with_data": c.n_peers_with_data,
            "england": fmt(c.england),
            "note": " ".join(x for x in (r.run_by, r.peers_note, c.note) if x),
        })
    return out


def summary_table(rows: Sequence[ProfileRow], catalogue: pd.DataFrame | Mapping[str, Mapping[str, object]]
                  ) -> pd.DataFrame:
    """The rows as a table for display and CSV: figures, peer context, label and method; no ranks."""
    return pd.DataFrame(summary_records(rows, catalogue), columns=list(SUMMARY_COLUMNS))


def summary_by_service_area(profile: Profile, catalogue: pd.DataFrame
                            ) -> list[tuple[str, list[ProfileRow], pa.Table]]:
    """The profile's summary cut by service area (Oflog's families first), formatted in one pass.

    Arrow tables, not DataFrames: the overview draws one small table per service area, and building and
    serialising a dozen small pandas frames cost more than the rest of a council switch.
    """
    meta = catalogue_facts(catalogue)
    out = []
    for area, rows in profile.by_service_area():
        records = summary_records(rows, meta)
        out.append((area, rows, pa.table({c: [r[c] for r in records] for c in SUMMARY_COLUMNS})))
    return out


def _num(v: float | None) -> float | None:
    """Rounded so JSON is byte-identical whichever database the figures came through."""
    return None if v is None else round(float(v), 6)


def profile_json(profile: Profile, catalogue: pd.DataFrame, data_version: str) -> dict[str, object]:
    """A profile as plain JSON for the CLI and exports: figures, peer context, label, method; no ranks."""
    table = summary_table(profile.rows, catalogue).set_index("indicator_id")
    measures = []
    for r in profile.rows:
        c = r.comparison
        measures.append({
            "indicator": r.indicator_id, "title": c.title, "service_area": r.service_area, "unit": c.unit,
            "whose_figure": r.subject_code, "period": c.period, "status": c.status, "value": _num(c.value),
            "value_text": str(table.at[r.indicator_id, "value"]), "peer_median": _num(c.peer_median),
            "typical_range": [_num(c.band_low), _num(c.band_high)], "label": c.label, "method": c.method,
            "significant": c.significant, "similar_councils": list(r.peer_codes), "note": r.run_by or r.peers_note,
        })
    return {"council": profile.code, "name": profile.name, "lens": profile.lens, "k": profile.k,
            "data_version": data_version, "measures": measures}
