"""Charts to PNG and SVG bytes without a browser (vl-convert), for downloads, slides and packs.

Charts drawn for the page use `width="container"` and may read boundaries from the app's static
folder (`app/static/...`), which only a running Streamlit server can serve. Here the size is fixed,
the whole image (title and legend included) is fitted into it, and any `app/static/` URL is read from
the repository's `static/` folder and inlined, so nothing is fetched over a network.
"""

from __future__ import annotations

import copy
import io
import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from lm_core.paths import STATIC_DIR

STATIC_PREFIX = "app/static/"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DEFAULT_SCALE = 2.0
_RENDER_LOCK = threading.Lock()  # guards the one-off warm-up of vl-convert's JavaScript engine
_warmed = False


class ImageError(ValueError):
    """A chart could not be turned into an image (e.g. it names a file outside the static folder)."""


def chart_spec(chart: alt.TopLevelMixin | dict[str, Any], width: int | None = None, height: int | None = None,
               static_dir: Path = STATIC_DIR) -> dict[str, Any]:
    """The chart as a self-contained Vega-Lite dict: fixed size (title and legend inside), data inlined."""
    spec = copy.deepcopy(chart) if isinstance(chart, dict) else chart.to_dict(validate=False)
    if width is not None:
        spec["width"] = width
    if height is not None:
        spec["height"] = height
    if width is not None or height is not None:
        spec["autosize"] = {"type": "fit", "contains": "padding"}
    if spec.get("width") == "container" or spec.get("height") == "container":
        raise ImageError("a chart sized to its container needs an explicit width and height to become an image")
    _inline_static(spec, static_dir)
    return spec


def _inline_static(node: Any, static_dir: Path) -> None:
    """Replace every {"url": "app/static/..."} with the file's contents (in place)."""
    if isinstance(node, list):
        for item in node:
            _inline_static(item, static_dir)
        return
    if not isinstance(node, dict):
        return
    url = node.get("url")
    if isinstance(url, str) and url.startswith(STATIC_PREFIX):
        root = static_dir.resolve()
        path = (root / url[len(STATIC_PREFIX):]).resolve()
        if root not in path.parents or not path.is_file():
            raise ImageError(f"{url}: not a file in the static folder")
        data = json.loads(path.read_text(encoding="utf-8"))
        fmt = dict(node.get("format") or {})
        prop = fmt.pop("property", None)
        if prop:  # e.g. GeoJSON "features": take that member and drop the now-meaningless property
            for part in str(prop).split("."):
                data = data[part]
        del node["url"]
        node["values"] = data
        if fmt:
            node["format"] = fmt
        else:
            node.pop("format", None)
        return
    for value in node.values():
        _inline_static(value, static_dir)


def _warm_up() -> None:
    """vl-convert starts its JavaScript engine on first use; do that once, not in several threads at once."""
    global _warmed
    with _RENDER_LOCK:
        if not _warmed:
            vlc.vegalite_to_svg({"mark": "point", "data": {"values": [{}]}}, allowed_base_urls=[])
            _warmed = True


def spec_png(spec: dict[str, Any], scale: float = DEFAULT_SCALE) -> bytes:
    """PNG bytes of a self-contained spec (network access refused)."""
    _warm_up()
    return bytes(vlc.vegalite_to_png(spec, scale=scale, allowed_base_urls=[]))


def chart_png(chart: alt.TopLevelMixin | dict[str, Any], width: int | None = None, height: int | None = None,
              scale: float = DEFAULT_SCALE, shrink: bool = False) -> bytes:
    """PNG bytes of a chart; `shrink` stores it with a 256-colour palette (about a third of the size)."""
    png = spec_png(chart_spec(chart, width, height), scale)
    return shrink_png(png) if shrink else png


def chart_svg(chart: alt.TopLevelMixin | dict[str, Any], width: int | None = None,
              height: int | None = None) -> bytes:
    """SVG bytes (UTF-8) of a chart."""
    _warm_up()
    return str(vlc.vegalite_to_svg(chart_spec(chart, width, height), allowed_base_urls=[])).encode("utf-8")


def shrink_png(png: bytes) -> bytes:
    """The same picture with an adaptive 256-colour palette: charts have few colours, so it looks the same."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB")
    out = io.BytesIO()
    # fast octree without dithering: a few hundredths of a second, and flat colours stay flat
    rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, format="PNG")
    return out.getvalue()


def specs_to_png(specs: Sequence[dict[str, Any]], scale: float = DEFAULT_SCALE, shrink: bool = False,
                 workers: int | None = None) -> list[bytes]:
    """Several specs rendered in parallel (vl-convert releases the GIL), in the order given."""
    if not specs:
        return []
    _warm_up()
    n = workers or max(1, min(4, os.cpu_count() or 1))

    def one(spec: dict[str, Any]) -> bytes:
        png = spec_png(spec, scale)
        return shrink_png(png) if shrink else png

    if n == 1 or len(specs) == 1:
        return [one(s) for s in specs]
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, specs))


__all__ = ["PNG_MAGIC", "ImageError", "chart_png", "chart_spec", "chart_svg", "shrink_png", "spec_png",
           "specs_to_png"]
