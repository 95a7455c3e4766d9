"""Boundaries: read the ONS TopoJSON for one vintage, repair, orient and simplify for the web."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from lm_core.geography import LOWER_PREFIXES, UPPER_PREFIXES, VINTAGE
from lm_core.sources.base import SourceError

FOLDER = "ons-uk-topojson"
FILE = "topo.json"
ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
    "Contains OS data © Crown copyright and database right 2025."
)
# Degrees (about 400-650 m here): invisible at national scale, keeps each tier under 400 KB.
SIMPLIFY_TOLERANCE = 0.0065
LAYERS = {"lower": ("ltla", LOWER_PREFIXES), "upper": ("utla", UPPER_PREFIXES)}


def read_boundaries(root: Path, tier: str, year: int = VINTAGE) -> gpd.GeoDataFrame:
    """One polygon per English authority of a tier as it stood in `year`, valid and in EPSG:4326."""
    path = root / FOLDER / FILE
    layer, prefixes = LAYERS[tier]
    if not path.exists():
        raise SourceError(path, "file not found (boundaries are required)")
    try:
        raw = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types for a damaged file
        raise SourceError(path, f"cannot read layer '{layer}' ({exc})") from exc
    for col in ("areacd", "areanm"):
        if col not in raw.columns:
            raise SourceError(path, f"layer '{layer}' lacks the '{col}' property")
    gdf = raw.set_crs(4326, allow_override=True)
    start = pd.to_numeric(gdf.get("start"), errors="coerce") if "start" in gdf else None
    end = pd.to_numeric(gdf.get("end"), errors="coerce") if "end" in gdf else None
    alive = pd.Series(True, index=gdf.index)
    if start is not None:
        alive &= start.isna() | (start <= year)
    if end is not None:
        alive &= end.isna() | (end >= year)
    gdf = gdf[alive & gdf["areacd"].str.startswith(prefixes)]
    out = gpd.GeoDataFrame(
        {"area_code": gdf["areacd"].astype(str), "area_name": gdf["areanm"].astype(str)},
        geometry=_polygons_only(gdf.geometry.make_valid(method="structure", keep_collapsed=False)), crs=4326,
    )
    return out.reset_index(drop=True)


def web_ready(gdf: gpd.GeoDataFrame, tolerance: float = SIMPLIFY_TOLERANCE) -> gpd.GeoDataFrame:
    """Simplify as a coverage (no slivers between neighbours) and orient rings as Vega expects."""
    simplified = gdf.geometry.simplify_coverage(tolerance)
    # Snap to the 4-decimal grid the file is written on *before* writing, so rounding cannot make a
    # valid polygon invalid (it did for Middlesbrough and Bristol).
    snapped = simplified.set_precision(1e-4)
    geom = _polygons_only(snapped.make_valid(method="structure", keep_collapsed=False))
    geom = geom.orient_polygons(exterior_cw=True)
    return gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=geom, crs=4326)


def to_geojson_bytes(gdf: gpd.GeoDataFrame, decimals: int = 4) -> bytes:
    """Compact GeoJSON with flat properties (so chart selections read `area_code` directly)."""
    fc = json.loads(gdf.to_json(drop_id=True, to_wgs84=False))

    def rnd(obj: object) -> object:
        if isinstance(obj, list):
            return [rnd(o) for o in obj]
        if isinstance(obj, float):
            return round(obj, decimals)
        return obj

    for feat in fc["features"]:
        feat["geometry"]["coordinates"] = rnd(feat["geometry"]["coordinates"])
    return json.dumps(fc, separators=(",", ":")).encode("utf-8")


def _polygons_only(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Drop stray lines and points that repair can leave, so coverage tools accept every shape."""
    import shapely

    def keep(g: shapely.Geometry) -> shapely.Geometry:
        if g.geom_type in ("Polygon", "MultiPolygon"):
            return g
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(parts)

    return geoms.map(keep)
