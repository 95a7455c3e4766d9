"""build-data: official files -> processed, committed data under data/ (all or nothing)."""

from __future__ import annotations

import hashlib
import importlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from lm_core import geo
from lm_core.geography import ENGLAND_CODE, Geography, build_geography
from lm_core.lineage import harmonise
from lm_core.paths import PROCESSED_DIR, STATIC_DIR
from lm_core.sources.base import SERVICE_AREAS, IndicatorMeta, SourceError, SourceResult, finalise_values
from lm_core.sources.mysociety_register import ATTRIBUTION as REGISTER_ATTRIBUTION
from lm_core.sources.mysociety_register import read_register

# One reader per publisher format, in the order Oflog's families come first.
READERS: tuple[str, ...] = (
    "defra_waste",
    "defra_flytipping",
    "dft_roads",
    "mhclg_planning",
    "mhclg_council_tax",
    "mhclg_revenue_outturn",
    "oflog_asc",
    "mhclg_homelessness",
    "dfe_lait",
    "ons_els",
    "mhclg_iod",
    "ons_mye",
    "ons_ruc",
    "mysociety_context",
)
POPULATION_ID = "population"
FILES = ("authorities", "lineage", "indicators", "values")


class BuildError(Exception):
    """The build could not finish; nothing under data/ was changed."""


def run_readers(root: Path, names: tuple[str, ...] = READERS) -> list[tuple[str, SourceResult]]:
    """Run every reader; collect all failures so one message names every bad file."""
    results: list[tuple[str, SourceResult]] = []
    failures: list[str] = []
    for name in names:
        module = importlib.import_module(f"lm_core.sources.{name}")
        read: Callable[[Path], SourceResult] = module.read
        try:
            results.append((name, read(root)))
        except SourceError as exc:
            failures.append(f"{exc.path}: {exc.problem}")
        except (ValueError, KeyError, IndexError, OSError) as exc:
            failures.append(f"{name}: unexpected content ({type(exc).__name__}: {exc})")
    if failures:
        raise BuildError("source files rejected; data/ left unchanged:\n  " + "\n  ".join(failures))
    return results


def check_catalogue(metas: list[IndicatorMeta]) -> dict[str, IndicatorMeta]:
    """Ids unique, service areas known, and each series either outcome or context."""
    seen: dict[str, IndicatorMeta] = {}
    for m in metas:
        if m.id in seen:
            raise BuildError(f"indicator id '{m.id}' is defined twice ({seen[m.id].source_folder}, {m.source_folder})")
        if m.service_area not in SERVICE_AREAS:
            raise BuildError(f"indicator '{m.id}' has unknown service area '{m.service_area}'")
        if m.role not in ("outcome", "context"):
            raise BuildError(f"indicator '{m.id}' has role '{m.role}'")
        seen[m.id] = m
    return seen


def derive_upper_context(
    values: pd.DataFrame, catalogue: dict[str, IndicatorMeta], authorities: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """County figures for lower-tier-only context variables, population-weighted from districts.

    Peer groups for counties need the same context as districts; IoD average scores are
    population-weighted small-area means, so weighting district means by population is exact
    up to the population year used.
    """
    log: list[str] = []
    pop = values[(values["indicator_id"] == POPULATION_ID) & values["value"].notna()]
    weight = pop.sort_values("period_start").groupby("area_code")["value"].last()
    districts = authorities[authorities["county_code"] != ""].set_index("area_code")["county_code"]
    made: list[pd.DataFrame] = []
    for ind, meta in catalogue.items():
        if meta.role != "context" or meta.tier != "lower" or meta.rollup != "weighted":
            continue
        rows = values[(values["indicator_id"] == ind) & values["area_code"].isin(districts.index)]
        rows = rows.assign(county=rows["area_code"].map(districts), w=rows["area_code"].map(weight))
        for (county, period), grp in rows.groupby(["county", "period"]):
            expected = set(districts[districts == county].index)
            ok = grp[grp["value"].notna() & grp["w"].notna()]
            base = {"area_code": county, "indicator_id": ind, "period": period,
                    "period_start": grp["period_start"].iloc[0], "lower": np.nan, "upper": np.nan,
                    "numerator": np.nan, "denominator": np.nan}
            if set(ok["area_code"]) != expected:
                made.append(pd.DataFrame([base | {"value": np.nan, "status": "x",
                                                  "note": "not available: a district figure is missing"}]))
                continue
            value = float(np.average(ok["value"], weights=ok["w"]))
            made.append(pd.DataFrame([base | {"value": value, "status": "",
                                              "note": "derived from the county's districts, population-weighted"}]))
        log.append(f"{ind}: county figures derived from districts (population-weighted, mid-2022)")
    if not made:
        return values, log
    return pd.concat([values, *made], ignore_index=True), log


def catalogue_frame(catalogue: dict[str, IndicatorMeta], values: pd.DataFrame, authorities: pd.DataFrame,
                    derived: set[str]) -> pd.DataFrame:
    """The indicator catalogue with periods and coverage measured on the harmonised values."""
    lower = set(authorities.loc[authorities["is_lower"], "area_code"])
    upper = set(authorities.loc[authorities["is_upper"], "area_code"])
    rows = []
    for ind, meta in catalogue.items():
        v = values[values["indicator_id"] == ind]
        periods = v.drop_duplicates("period").sort_values("period_start")
        latest = periods["period"].iloc[-1] if len(periods) else ""
        now = v[(v["period"] == latest) & v["value"].notna()]
        record = asdict(meta)
        if ind in derived:
            record["tier"] = "both"
            record["caveats"] = (record["caveats"] + " County figures are derived from their districts, "
                                 "population-weighted.").strip()
        record.update(
            periods="|".join(periods["period"]),
            first_period=periods["period"].iloc[0] if len(periods) else "",
            latest_period=latest,
            latest_start=periods["period_start"].iloc[-1] if len(periods) else "",
            coverage_lower=int(now["area_code"].isin(lower).sum()),
            coverage_upper=int(now["area_code"].isin(upper).sum()),
            has_interval=bool(v["lower"].notna().any()),
            has_denominator=bool(v["denominator"].notna().any()),
        )
        rows.append(record)
    return pd.DataFrame(rows)


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash that does not depend on file bytes or row order."""
    ordered = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    digest = hashlib.sha256(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    digest.update(",".join(frame.columns).encode())
    return digest.hexdigest()


def build_data(root: Path, out_dir: Path = PROCESSED_DIR, static_dir: Path = STATIC_DIR,
               readers: tuple[str, ...] = READERS, echo: Callable[[str], None] = print) -> dict[str, object]:
    """Read every official file, harmonise to 2024 codes, and replace data/ only if all succeeded."""
    if not root.is_dir():
        raise BuildError(f"{root}: sources folder not found (pass --sources PATH)")
    try:
        register = read_register(root)
        geography: Geography = build_geography(register)
        results = run_readers(root, readers)
        boundaries = {tier: geo.web_ready(geo.read_boundaries(root, tier)) for tier in geo.LAYERS}
    except SourceError as exc:
        raise BuildError(f"source file rejected; data/ left unchanged:\n  {exc.path}: {exc.problem}") from exc
    log: list[str] = [f"Register: {len(geography.authorities)} current councils "
                      f"({int(geography.authorities['is_lower'].sum())} lower-tier or unitary, "
                      f"{int(geography.authorities['is_upper'].sum())} upper-tier or unitary)"]
    catalogue = check_catalogue([m for _, r in results for m in r.indicators])
    frames = []
    for name, result in results:
        ids = {m.id for m in result.indicators}
        stray = set(result.values["indicator_id"]) - ids
        if stray:
            raise BuildError(f"reader {name} returned values for undeclared indicators {sorted(stray)}")
        frames.append(finalise_values(result.values))
        log.append(f"## {name}: {len(result.indicators)} indicators, {len(result.values)} rows read")
        log.extend(f"- {line}" for line in result.log)
    raw = pd.concat(frames, ignore_index=True)
    harmonised = harmonise(raw, catalogue, geography)
    log.append("## Lineage (retired codes onto 2024 councils)")
    log.extend(f"- {line}" for line in harmonised.log)
    values, derived_log = derive_upper_context(harmonised.values, catalogue, geography.authorities)
    log.append("## Derived figures")
    log.extend(f"- {line}" for line in derived_log)
    values = finalise_values(values)
    derived = {line.split(":")[0] for line in derived_log}
    indicators = catalogue_frame(catalogue, values, geography.authorities, derived)
    for tier, gdf in boundaries.items():
        expected = set(geography.authorities.loc[geography.authorities[f"is_{tier}"], "area_code"])
        if set(gdf["area_code"]) != expected:
            missing = sorted(expected - set(gdf["area_code"]))[:5]
            raise BuildError(f"{tier}-tier boundaries do not match the councils (e.g. missing {missing})")
    tables = {"authorities": geography.authorities, "lineage": geography.lineage,
              "indicators": indicators, "values": values}
    table_hashes = {name: frame_hash(t) for name, t in tables.items()}
    # Any change to any table (a caveat reworded, a code remapped) is a new data version.
    version = hashlib.sha256("".join(table_hashes[n] for n in sorted(table_hashes)).encode()).hexdigest()[:12]
    manifest: dict[str, object] = {
        "vintage": "2024 codes",
        "data_version": version,
        "tables": {name: {"rows": len(t), "sha256": table_hashes[name]} for name, t in tables.items()},
        "attributions": sorted({m.attribution for m in catalogue.values()} | {REGISTER_ATTRIBUTION,
                                                                              geo.ATTRIBUTION}),
    }
    _write_atomically(tables, boundaries, manifest, log, out_dir, static_dir)
    for line in _coverage_lines(indicators):
        echo(line)
    echo(f"wrote {out_dir} ({len(values)} values, {len(indicators)} indicators, data version "
         f"{manifest['data_version']})")
    return manifest


def _coverage_lines(indicators: pd.DataFrame) -> list[str]:
    lines = []
    for _, r in indicators.sort_values(["role", "service_area", "id"]).iterrows():
        lines.append(f"{r['role']:8} {r['service_area'][:22]:22} {r['id'][:44]:44} latest {r['latest_period']:>12}"
                     f"  lower {r['coverage_lower']:3}/296  upper {r['coverage_upper']:3}/153")
    return lines


def _write_atomically(tables: dict[str, pd.DataFrame], boundaries: dict[str, object], manifest: dict[str, object],
                      log: list[str], out_dir: Path, static_dir: Path) -> None:
    """Write into a temporary folder beside the target, then swap, so a failure changes nothing."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    static_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir.parent))
    tmp_static = Path(tempfile.mkdtemp(prefix=".build-", dir=static_dir))
    for folder in (tmp, tmp_static):
        folder.chmod(0o755)  # mkdtemp makes private folders; these are published files
    try:
        for name, table in tables.items():
            table.to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        (tmp / "BUILD_LOG.md").write_text("# Build log\n\n" + "\n".join(log) + "\n")
        for tier, gdf in boundaries.items():
            (tmp_static / f"{tier}.geojson").write_bytes(geo.to_geojson_bytes(gdf))
        _swap(tmp, out_dir)
        _swap(tmp_static, static_dir / "boundaries")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(tmp_static, ignore_errors=True)


def _swap(new: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def load_processed(out_dir: Path = PROCESSED_DIR) -> dict[str, pd.DataFrame]:
    """The committed processed tables, as written by build_data."""
    return {name: pd.read_parquet(out_dir / f"{name}.parquet") for name in FILES}


def read_manifest(out_dir: Path = PROCESSED_DIR) -> dict[str, object]:
    """The manifest of the committed data (data version, row counts, attributions)."""
    result: dict[str, object] = json.loads((out_dir / "manifest.json").read_text())
    return result


__all__ = ["ENGLAND_CODE", "BuildError", "build_data", "load_processed", "read_manifest"]
