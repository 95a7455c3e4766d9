"""Meeting mode and committee packs: a council's measures as slides, PPTX and PDF, regenerable exactly.

A pack is one council, a peer definition (lens and k), some service areas, and the data version.
It holds a title slide, one slide per measure (the plain-English sentence, the figure against the
similar councils' median and typical range, the peer strip and the trend, the caveat, source and
period), a methods slide with the permalink, and the sources and licences of every figure used.

Choices, written down next to the code:

* **The stamp** is ``method version · pack version · data version · content hash``. The content
  hash covers everything the slides say and draw (texts, figures, peer codes, the data behind both
  charts, attributions, the relative link) and deliberately *not* the date printed on the title
  slide nor the host in the permalink: the same council, lens, k, areas and data give the same
  stamp whenever and wherever the pack is rebuilt. The date defaults to today; pass ``date`` to
  reproduce a past paper byte for byte (both files are then identical, not just equivalent).
* **Default service areas** are Oflog's families (waste, roads, planning, finance, adult social
  care, homelessness); ``"all"`` gives every outcome. A district's county-run services show the
  county's figure, as the profile page does.
* **Type sizes**: titles 28 pt and over, everything on a measure slide 20 pt and over (the footer
  with page number, stamp and link aside), so it reads across a room. The methods slide is 20 pt
  unless a long list of similar councils needs it smaller (never below 16 pt). The reference pages
  (sources and licences, caveats in full) use 14 pt: they are for reading on paper, and every
  attribution has to fit somewhere. Caveats are cut to two lines on a slide, at a sentence where
  possible; the full text is in the speaker notes and on the "Caveats in full" pages.
* **Images**: charts are drawn by vl-convert (no browser) at 2× and stored as 256-colour PNGs,
  about a sixth of the size; both files of one pack share one rendering (cached by stamp).
* Nothing is ranked: no ordinal positions, no "nth of N", no councils in order of performance
  (similar councils are listed alphabetically). Slide
  numbers are page numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import altair as alt
import numpy as np
import pandas as pd

from lm_core import compare, geo, images, peers
from lm_core.charts import strip_chart, trend_chart
from lm_core.export import RANK_WORDS
from lm_core.geography import ENGLAND_CODE
from lm_core.peer_groups import lens_weights
from lm_core.peers import PeerConfig
from lm_core.profile import Profile, ProfileRow, status_words, summary_table
from lm_core.sources.base import SERVICE_AREAS
from lm_core.sources.mysociety_register import ATTRIBUTION as REGISTER_ATTRIBUTION

PACK_VERSION = "pack-1.0"
DEFAULT_BASE_URL = "http://localhost:8501"
OFLOG_AREAS: tuple[str, ...] = ("Waste and environment", "Roads and transport", "Housing and planning", "Finance",
                                "Adult social care", "Homelessness")
FORMATS = ("pdf", "pptx")
TIER_WORDS = {"lower": "district and single-tier", "upper": "county and single-tier"}

# Slide geometry (inches, 16:9) and type (points).
SLIDE_W, SLIDE_H = 13.333, 7.5
MARGIN = 0.5
TITLE_PT, BODY_PT, SENTENCE_PT, REFERENCE_PT, FOOTER_PT = 28, 20, 28, 14, 11
CHART_PX_W = 480  # logical chart width: 16 px type then prints at about 15 pt on a half-slide chart
CHART_SCALE = 2.0
MIN_CHART_H = 1.8
CAVEAT_LINES = 2
INK, GREY, BLUE = "0B0C0C", "505A5F", "12436D"


# ---------------------------------------------------------------- slide records


@dataclass(frozen=True)
class Slide:
    """One measure for one council: what the presenter says, the figures, the charts' data, where from."""

    indicator_id: str
    service_area: str
    title: str
    council: str  # whose figure it is (the county's for a county-run service)
    whose: str  # "Burnley", or "Lancashire County Council's figure, as the upper-tier council"
    area_code: str
    period: str
    unit: str
    sentence: str  # with the measure's name: for notes, CSV and anyone reading it out of context
    headline: str  # the same without the measure's name: the big line on the slide
    figures: str
    value_text: str
    peer_median_text: str
    typical_range_text: str
    label: str
    method: str
    caveat: str
    caveat_short: str
    source: str
    attribution: str
    note: str
    link: str  # relative: council?council=...; the base URL is added when printed
    strip_title: str
    status_note: str
    chart_data: str  # canonical JSON of both charts' data: part of the stamp
    points: pd.DataFrame = field(compare=False, repr=False)  # every council of the tier: the strip
    history: pd.DataFrame = field(compare=False, repr=False)  # council, peer median, England: the trend
    row: ProfileRow = field(compare=False, repr=False)

    @property
    def has_trend(self) -> bool:
        """More than one period published."""
        return len(self.history) > 1

    def strip(self) -> alt.TopLevelMixin:
        """The peer strip, in large type, titled with how to read it (the slide already names the measure)."""
        c = self.row.comparison
        chart = strip_chart(self.points, self.strip_title, self.unit, c.peer_median, c.band_low, c.band_high,
                            self.council, self.status_note)
        how = "Shaded: similar councils' typical range · dashed: their median"
        chart.title = alt.Title(self.strip_title, subtitle=f"{self.council}: {self.status_note}" if self.status_note
                                else how)
        return big_type(chart)

    def trend(self) -> alt.TopLevelMixin | None:
        """The trend against the similar councils' median and England, in large type (None: one period)."""
        if not self.has_trend:
            return None
        chart = trend_chart(self.history, "Over time", self.unit, self.council)
        chart.title = alt.Title("Over time", subtitle="Every period published")
        return big_type(chart)

    def alt_text(self, which: str) -> str:
        """What each chart shows, in words (for screen readers and the PPTX picture description)."""
        if which == "strip":
            return (f"Strip chart of {self.title} for every {TIER_WORDS[self.row.tier]} council; "
                    f"{len(self.row.peer_codes)} similar councils highlighted; {self.council} marked. "
                    "No ranking is shown.")
        return f"Line chart of {self.title}: {self.council}, the median of similar councils, and England, by period."


@dataclass(frozen=True)
class Pack:
    """Everything a committee pack says, in order, with its stamp."""

    code: str
    name: str
    official_name: str
    lens: str
    lens_title: str
    lens_description: str
    k: int
    areas: tuple[str, ...]
    peer_hashes: tuple[tuple[str, str], ...]  # (tier, hash) for each tier the slides compare in
    peer_names: tuple[str, ...]  # the council's own similar councils, alphabetical
    county_note: str
    data_version: str
    method_version: str
    date: str
    base_url: str
    slides: tuple[Slide, ...]
    attributions: tuple[str, ...]
    stamp: str

    @property
    def permalink(self) -> str:
        """The same view in the app (council profile with this lens and k)."""
        return f"{self.base_url}/{council_link(self.code, self.lens, self.k)}"

    @property
    def present_link(self) -> str:
        """These slides in the app's meeting mode."""
        return f"{self.base_url}/{present_link(self.code, self.lens, self.k, self.areas)}"

    def command(self, fmt: str = "pptx") -> str:
        """The command that rebuilds this pack exactly."""
        areas = ",".join(area_slug(a) for a in self.areas)
        return (f"python -m lm_core pack {self.code} --format {fmt} --lens {self.lens} --k {self.k} "
                f"--areas {areas} --date {self.date}")


def area_slug(area: str) -> str:
    """'Waste and environment' -> 'waste-and-environment' (for URLs and the command line)."""
    return re.sub(r"[^a-z0-9]+", "-", area.lower().replace("'", "")).strip("-")


AREA_SLUGS = {area_slug(a): a for a in SERVICE_AREAS}


def parse_areas(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Service areas from slugs or names (comma-separated); None/"" = Oflog's families, "all" = every one."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return OFLOG_AREAS
    parts = [p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p.strip()]
    if [p.lower() for p in parts] == ["all"]:
        return SERVICE_AREAS
    chosen = set()
    for p in parts:
        slug = area_slug(p)
        if slug not in AREA_SLUGS:
            raise ValueError(f"unknown service area '{p}' (choose from: all, {', '.join(AREA_SLUGS)})")
        chosen.add(AREA_SLUGS[slug])
    return tuple(a for a in SERVICE_AREAS if a in chosen)


def council_link(code: str, lens: str, k: int, indicator_id: str | None = None) -> str:
    """The relative URL of a council's profile (optionally opened at one measure)."""
    params: dict[str, str] = {"council": code, "lens": lens, "k": str(k)}
    if indicator_id:
        params["indicator"] = indicator_id
    return "council?" + urlencode(params)


def present_link(code: str, lens: str, k: int, areas: Sequence[str], slide: int | None = None) -> str:
    """The relative URL of the meeting-mode view of these slides."""
    params = {"council": code, "areas": ",".join(area_slug(a) for a in areas), "lens": lens, "k": str(k)}
    if slide is not None:
        params["slide"] = str(slide)
    return "present?" + urlencode(params, safe=",")


BIG_TYPE = {"axis": {"labelFontSize": 16, "titleFontSize": 16},
            "legend": {"labelFontSize": 16, "symbolSize": 200, "labelLimit": 320},
            "title": {"fontSize": 17, "subtitleFontSize": 15, "subtitlePadding": 2}, "text": {"fontSize": 17}}


def big_type(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Larger chart type for projection and slides (axis, legend, titles, the council's label).

    Set in place: altair's configure_* methods deep-copy the chart and its data, which costs more
    than drawing it.
    """
    chart.config = alt.Config.from_dict(BIG_TYPE)  # type: ignore[attr-defined]
    return chart


def shorten(text: str, lines: int = CAVEAT_LINES, size: int = BODY_PT, width_in: float = SLIDE_W - 2 * MARGIN,
            lead: str = "Caveat: ") -> str:
    """Whole sentences that fit in `lines` lines (after `lead`); else the first one cut at a word, with '…'."""
    text = " ".join(text.split())
    if _lines(lead + text, size, width_in) <= lines:
        return text
    out = ""
    for sentence in re.split(r"(?<=[.;])\s+", text):
        trial = f"{out} {sentence}".strip()
        if _lines(f"{lead}{trial} …", size, width_in) > lines:
            break
        out = trial
    if out:
        return out + " …"
    words = text.split()
    while words and _lines(f"{lead}{' '.join(words)} …", size, width_in) > lines:
        words.pop()
    return " ".join(words) + " …"


def measure_sentence(council: str, c: compare.Comparison, with_measure: bool = True) -> str:
    """One plain-English sentence about one measure: never a rank, always against similar councils.

    Without the measure's name it is the slide's headline (the slide title already names it).
    """
    on = f"On {_measure_words(c.title)}, " if with_measure else ""
    if c.value is None:
        where = f" on {_measure_words(c.title)}" if with_measure else ""
        return f"There is no figure for {council}{where}: {status_words(c.status).lower()}."
    if c.flag_extreme:
        text = f"{council}'s figure is far outside the similar councils' range: a person should check it."
    elif c.peer_median is None:
        text = f"Too few similar councils have a figure to compare {council} with them."
    else:
        text = f"{council} is {c.label}."
    return on + text if with_measure else text


def _no_negative_zero(v: float, decimals: int) -> float:
    """-0.004 shown to 1 decimal place is 0.0, not -0.0."""
    return 0.0 if abs(v) < 0.5 * 10 ** -decimals else v


def _fmt(v: float | None, unit: str, decimals: int) -> str:
    return "" if v is None else compare.format_value(_no_negative_zero(v, decimals), unit, decimals)


def _short(v: float, unit: str, decimals: int) -> str:
    """A figure with only its symbol (52.1%, £1,234.0, 4.2): the rest of the unit is said once per line."""
    num = f"{_no_negative_zero(v, decimals):,.{decimals}f}"
    return f"{num}%" if unit.startswith("%") else f"£{num}" if unit.startswith("£") else num


def _unit_tail(unit: str) -> str:
    """What is left of a unit after its symbol: 'per 1,000 people', 'of decisions', 'per year'."""
    return unit[1:].strip() if unit[:1] in ("%", "£") else unit.strip()


def figures_line(council: str, c: compare.Comparison, value_text: str, unit: str, decimals: int) -> str:
    """'Burnley: 29.4 · similar councils' median: 21.3 · typical range: 13.2 to 29.3 (per 1,000 people)'."""
    parts = [f"{council}: {value_text if c.value is None else _short(c.value, unit, decimals)}"]
    if c.value is not None and c.status == "u":
        parts[0] += " (low reliability)"
    if c.peer_median is not None:
        parts.append(f"similar councils' median: {_short(c.peer_median, unit, decimals)}")
    if c.band_low is not None and c.band_high is not None:
        parts.append(f"typical range: {_short(c.band_low, unit, decimals)} to {_short(c.band_high, unit, decimals)}")
    tail = _unit_tail(unit)
    line = " · ".join(parts)
    return f"{line} ({tail})" if tail and (c.value is not None or c.peer_median is not None) else line


def _measure_words(title: str) -> str:
    """A title inside a sentence: first letter lower-cased unless it starts an acronym or a lone letter."""
    first = title.split(" ", 1)[0]
    if len(first) == 1 or first.isupper():
        return title
    return compare._measure_name(title)


def _r(v: Any) -> float | None:
    """Rounded for hashing, so the stamp does not depend on the database's last bit."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else round(f, 6)


def build_slides(profile: Profile, catalogue: pd.DataFrame, by_indicator: Mapping[str, pd.DataFrame],
                 authorities: pd.DataFrame, areas: Sequence[str] | None = None) -> list[Slide]:
    """One slide per measure of the chosen service areas (Oflog's families by default), in catalogue order."""
    chosen = set(parse_areas(list(areas) if areas is not None else None))
    meta = catalogue.set_index("id")
    names = dict(zip(authorities["area_code"], authorities["area_name"], strict=True))
    official = dict(zip(authorities["area_code"], authorities["official_name"], strict=True))
    figures = summary_table(profile.rows, catalogue).set_index("indicator_id") if profile.rows else None
    tier_codes = {t: list(authorities.loc[authorities[f"is_{t}"].astype(bool), "area_code"]) for t in TIER_WORDS}
    slides: list[Slide] = []
    for row in profile.rows:
        if row.service_area not in chosen or figures is None:
            continue
        m = meta.loc[row.indicator_id]
        c = row.comparison
        unit, decimals = str(m["unit"]), int(str(m["decimals"]))
        fig = figures.loc[row.indicator_id]
        frame = by_indicator.get(row.indicator_id)
        if frame is None:
            continue
        latest = compare.latest_rows(frame, row.indicator_id, tier_codes[row.tier])
        keep = (latest["area_code"] != ENGLAND_CODE).to_numpy()
        found = latest["area_code"].to_numpy(dtype=object)[keep]
        order = sorted(range(len(found)), key=found.__getitem__)  # by GSS code: never by value
        codes = [str(found[i]) for i in order]
        peer_set = set(row.peer_codes)
        values = latest["value"].to_numpy(dtype=float, na_value=np.nan)[keep][order]
        groups = ["this council" if a == row.subject_code else "peer" if a in peer_set else "other" for a in codes]
        points = pd.DataFrame({"area_code": codes, "value": values, "area_name": [names.get(a) for a in codes],
                               "group": groups})
        status_note = "" if c.value is not None else status_words(c.status).lower()
        period = c.period or str(m.get("latest_period", ""))
        history = compare.trend(frame, row.indicator_id, row.subject_code, row.peer_codes)  # reads the row index
        value_text = str(fig["value"])
        median_text = _fmt(c.peer_median, unit, decimals)
        range_text = str(fig["typical_range"])
        caveat = " ".join(str(m["caveats"] or "").split()) or "None recorded."
        chart_data = json.dumps({
            "strip": [[a, _r(v), g] for a, v, g in zip(codes, values.tolist(), groups, strict=True)],
            "trend": [[str(p), _r(a), _r(b), _r(e)] for p, a, b, e in
                      zip(*(history[k].tolist() for k in ("period", "council", "peer_median", "england")),
                          strict=True)],
        }, sort_keys=True)
        slides.append(Slide(
            indicator_id=row.indicator_id, service_area=row.service_area, title=str(m["title"]),
            council=row.subject_name, area_code=row.subject_code,
            whose=f"{official[row.subject_code]}'s figure, as the upper-tier council" if row.run_by
            else row.subject_name, period=period, unit=unit,
            sentence=measure_sentence(row.subject_name, c),
            headline=measure_sentence(row.subject_name, c, with_measure=False),
            figures=figures_line(row.subject_name, c, value_text, unit, decimals), value_text=value_text,
            peer_median_text=median_text, typical_range_text=range_text, label=c.label,
            method=c.method[:1].upper() + c.method[1:] + ".", caveat=caveat, caveat_short=shorten(caveat),
            source=f"Source: {m['publisher']} ({m['licence']}), {period}".rstrip(", "),
            attribution=str(m["attribution"]),
            note=" ".join(x for x in (row.run_by, row.peers_note, c.note) if x),
            link=council_link(profile.code, profile.lens, profile.k, row.indicator_id),
            strip_title=f"All {TIER_WORDS[row.tier]} councils, {period}".rstrip(", "), status_note=status_note,
            chart_data=chart_data, points=points, history=history, row=row,
        ))
    return slides


def pack_attributions(slides: Sequence[Slide], catalogue: pd.DataFrame, weights: Mapping[str, float]) -> list[str]:
    """Every attribution the pack owes: its measures, the context that chose the peers, register, boundaries."""
    meta = catalogue.set_index("id")
    lines = {s.attribution for s in slides}
    lines |= {str(meta.at[v, "attribution"]) for v, w in weights.items() if w > 0 and v in meta.index}
    lines |= {REGISTER_ATTRIBUTION, geo.ATTRIBUTION}
    return sorted(x for x in lines if x and x != "nan")


def build_pack(profile: Profile, catalogue: pd.DataFrame, by_indicator: Mapping[str, pd.DataFrame],
               authorities: pd.DataFrame, config: PeerConfig, data_version: str,
               areas: Sequence[str] | None = None, date: dt.date | str | None = None,
               base_url: str = DEFAULT_BASE_URL) -> Pack:
    """The whole pack for a profile: slides, peer definition, attributions and the reproducible stamp."""
    chosen = parse_areas(list(areas) if areas is not None else None)
    slides = build_slides(profile, catalogue, by_indicator, authorities, chosen)
    weights = lens_weights(config, profile.lens)
    table = authorities.set_index("area_code")
    me = table.loc[profile.code]
    names = table["area_name"].to_dict()
    tiers = sorted({s.row.tier for s in slides} | set(profile.peer_codes))
    hashes = tuple((t, peers.peer_hash(t, profile.lens, profile.k, weights, data_version)) for t in tiers)
    own_tier = "lower" if bool(me["is_lower"]) else "upper"
    peer_names = tuple(sorted((str(names.get(c, c)) for c in profile.peer_codes.get(own_tier, ())),
                              key=str.casefold))
    counties = sorted({s.council for s in slides if s.row.run_by})
    county_note = ""
    if counties:
        county_note = (f"Services run by {' and '.join(counties)} show its figures, compared with the {profile.k} "
                       "county and single-tier councils most like it.")
    day = date.isoformat() if isinstance(date, dt.date) else (date or dt.date.today().isoformat())
    dt.date.fromisoformat(day)  # refuse anything that is not a date
    lens = config.lenses[profile.lens]
    attributions = tuple(pack_attributions(slides, catalogue, weights))
    content = {
        "pack": PACK_VERSION, "method": peers.METHOD_VERSION, "data": data_version, "council": profile.code,
        "name": str(me["official_name"]), "lens": profile.lens, "k": profile.k, "areas": list(chosen),
        "peer_hashes": [list(h) for h in hashes], "peers": list(peer_names), "county_note": county_note,
        "attributions": list(attributions),
        "slides": [{k: v for k, v in vars(s).items() if k not in ("points", "history", "row")} for s in slides],
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    stamp = f"{peers.METHOD_VERSION} · {PACK_VERSION} · data {data_version} · content {digest}"
    return Pack(code=profile.code, name=profile.name, official_name=str(me["official_name"]), lens=profile.lens,
                lens_title=lens.title, lens_description=lens.description, k=profile.k, areas=chosen,
                peer_hashes=hashes, peer_names=peer_names, county_note=county_note, data_version=data_version,
                method_version=peers.METHOD_VERSION, date=day, base_url=base_url.rstrip("/"),
                slides=tuple(slides), attributions=attributions, stamp=stamp)


def slides_table(pack: Pack, catalogue: pd.DataFrame) -> pd.DataFrame:
    """The figures on the slides, one row per measure, for CSV: GSS codes, peer context, sources; no ranks."""
    table = summary_table([s.row for s in pack.slides], catalogue)
    extra = pd.DataFrame({"source": [s.source for s in pack.slides],
                          "link": [f"{pack.base_url}/{s.link}" for s in pack.slides]})
    out = pd.concat([table.reset_index(drop=True), extra], axis=1)
    return out.assign(council=pack.code, lens=pack.lens, k=pack.k, stamp=pack.stamp)


# ---------------------------------------------------------------- page layout (shared by PPTX and PDF)


@dataclass(frozen=True)
class Text:
    """A text box: paragraphs in one size; `link` makes every paragraph a hyperlink to it."""

    x: float
    y: float
    w: float
    h: float
    paragraphs: tuple[str, ...]
    size: int
    bold: bool = False
    color: str = INK
    link: str = ""
    role: str = ""  # "footer" for the page footer (page number, stamp, link)


@dataclass(frozen=True)
class Picture:
    """A chart image: slide `slide` (index into pack.slides), `which` is "strip" or "trend"."""

    x: float
    y: float
    w: float
    h: float
    slide: int
    which: str


@dataclass(frozen=True)
class Page:
    """One slide or PDF page: its title (also the first Text), boxes and speaker notes."""

    title: str
    blocks: tuple[Text | Picture, ...]
    notes: str = ""


def _lines(text: str, size: float, width_in: float, bold: bool = False) -> int:
    """Lines a paragraph takes in a box `width_in` wide, measured with Helvetica's metrics (= Arial's)."""
    from reportlab.lib.utils import simpleSplit

    font = "Helvetica-Bold" if bold else "Helvetica"
    plain = _pdf_plain(text)
    # 3% slack: PowerPoint's Arial and reportlab's Helvetica break lines a hair differently
    return max(1, len(simpleSplit(plain, font, size, width_in * 72 * 0.97)))


def _height(paragraphs: Sequence[str], size: float, width_in: float, gap: float = 0.0, bold: bool = False) -> float:
    """Height in inches (line height 1.2 × size, plus `gap` points between paragraphs)."""
    lines = sum(_lines(p, size, width_in, bold) for p in paragraphs)
    return (lines * size * 1.2 + gap * max(0, len(paragraphs) - 1)) / 72 + 0.08


def chart_box_px(w: float, h: float) -> tuple[int, int]:
    """Logical pixel size for a chart drawn into a w × h inch box."""
    return CHART_PX_W, round(CHART_PX_W * h / w)


def _footer(pack: Pack, number: int, link: str | None = None) -> Text:
    url = link or pack.permalink
    return Text(MARGIN, SLIDE_H - 0.42, SLIDE_W - 2 * MARGIN, 0.3,
                (f"{number} · {pack.stamp} · {url}",), FOOTER_PT, color=GREY, role="footer")


def layout(pack: Pack, fmt: str = "pptx") -> list[Page]:
    """Every page of the pack as boxes in inches: the one layout both the PPTX and the PDF draw."""
    pages = [_title_page(pack, fmt)]
    pages += [_measure_page(pack, i, s) for i, s in enumerate(pack.slides)]
    pages.append(_methods_page(pack, fmt))
    pages += _reference_pages(pack, "Sources and licences", [
        "Every figure in this pack comes from the sources below, used under their licences.",
        *[f"• {a}" for a in pack.attributions]])
    shortened = [s for s in pack.slides if s.caveat_short != s.caveat]
    if shortened:
        pages += _reference_pages(pack, "Caveats in full", [
            "Caveats shortened on the slides, in full.",
            *[f"• {s.title}: {s.caveat}" for s in shortened]])
    return [Page(p.title, (*p.blocks, _footer(pack, n)), p.notes) if n > 1 else p
            for n, p in enumerate(pages, start=1)]


def _title_page(pack: Pack, fmt: str) -> Page:
    w = SLIDE_W - 2 * 0.8
    peer_def = (f"Similar councils: the {pack.k} councils most like it in context, {pack.lens_title} lens "
                f"({pack.lens_description.rstrip('.')}).")
    hashes = "; ".join(f"{t} tier {h}" for t, h in pack.peer_hashes)
    body = (f"Service areas: {', '.join(pack.areas)}.", peer_def,
            f"Peer definition ({pack.lens}, k = {pack.k}): {hashes}.",
            f"Data version {pack.data_version} · method {pack.method_version} · prepared {pack.date}.")
    title_h = _height([pack.official_name], 40, w, bold=True)
    y = 0.9 + title_h
    blocks: list[Text | Picture] = [
        Text(0.8, 0.9, w, title_h, (pack.official_name,), 40, bold=True, color=BLUE),
        Text(0.8, y, w, 0.6, ("Compared with similar councils: a committee pack",), SENTENCE_PT, color=INK),
    ]
    y += 0.8
    body_h = _height(body, BODY_PT, w, gap=6)
    blocks.append(Text(0.8, y, w, body_h, body, BODY_PT))
    y += body_h + 0.2
    blocks.append(Text(0.8, y, w, 0.45, ("No single indicator tells the whole story. These slides set a council "
                                         "beside similar councils; they do not grade or order councils.",), 16,
                       color=GREY))
    blocks.append(Text(0.8, SLIDE_H - 1.2, w, 0.35, (f"Open this view: {pack.permalink}",), 16, color=BLUE,
                       link=pack.permalink))
    blocks.append(Text(0.8, SLIDE_H - 0.75, w, 0.35, (f"Stamp: {pack.stamp}",), 16, color=GREY))
    notes = f"Regenerate exactly: {pack.command(fmt)}\nPresent these slides: {pack.present_link}"
    return Page(pack.official_name, tuple(blocks), notes)


def _measure_page(pack: Pack, index: int, s: Slide) -> Page:
    w = SLIDE_W - 2 * MARGIN
    blocks: list[Text | Picture] = []
    y = 0.3
    title_h = _height([s.title], TITLE_PT, w, bold=True)
    blocks.append(Text(MARGIN, y, w, title_h, (s.title,), TITLE_PT, bold=True))
    y += title_h
    sub = f"{s.whose} · {s.service_area} · {s.period}".rstrip(" ·")
    blocks.append(Text(MARGIN, y, w, _height([sub], BODY_PT, w), (sub,), BODY_PT, color=GREY))
    y += _height([sub], BODY_PT, w) + 0.05
    h = _height([s.headline], SENTENCE_PT, w, bold=True)
    blocks.append(Text(MARGIN, y, w, h, (s.headline,), SENTENCE_PT, bold=True, color=BLUE))
    y += h
    h = _height([s.figures], BODY_PT, w)
    blocks.append(Text(MARGIN, y, w, h, (s.figures,), BODY_PT))
    y += h + 0.1
    # from the bottom up: footer, source, caveat (and the county note when there is one)
    bottom = SLIDE_H - 0.45
    tail = [f"Caveat: {s.caveat_short}", s.source]
    tail_h = _height(tail, BODY_PT, w)
    chart_h = max(MIN_CHART_H, bottom - tail_h - 0.1 - y)
    chart_w = (w - 0.25) / 2
    blocks.append(Picture(MARGIN, y, chart_w, chart_h, index, "strip"))
    if s.has_trend:
        blocks.append(Picture(MARGIN + chart_w + 0.25, y, chart_w, chart_h, index, "trend"))
    else:
        blocks.append(Text(MARGIN + chart_w + 0.25, y + chart_h / 3, chart_w, 1.0,
                           ("Only one period has been published, so there is no trend yet.",), BODY_PT, color=GREY))
    y += chart_h + 0.1
    blocks.append(Text(MARGIN, y, w, max(tail_h, bottom - y), tuple(tail), BODY_PT))
    notes = "\n".join(x for x in (s.sentence, s.figures, f"How we know: {s.method}", s.note,
                                  f"Caveat: {s.caveat}", s.attribution, f"{pack.base_url}/{s.link}") if x)
    return Page(s.title, tuple(blocks), notes)


def _methods_page(pack: Pack, fmt: str) -> Page:
    w = SLIDE_W - 2 * MARGIN
    title = "How these comparisons were made"
    body = [
        f"Similar councils are the {pack.k} councils most like {pack.name} in their circumstances "
        f"({pack.lens_title} lens: {pack.lens_description.rstrip('.')}), chosen from context only, never from "
        "the outcome being compared.",
        f"{pack.name}'s similar councils (alphabetical): {', '.join(pack.peer_names)}.",
        *([pack.county_note] if pack.county_note else []),
        "Typical range: the similar councils' median ± one scaled median absolute deviation (a spread). "
        "'Slightly', 'noticeably' and 'much' start at ½, 1½ and 3 spreads; past 7.5, a person checks the figure.",
        "No single indicator tells the whole story. Councils are set beside similar councils, never graded or "
        "put in order.",
    ]
    small = [f"This view online: {pack.permalink}", f"Regenerate exactly: {pack.command(fmt)}", f"Stamp: {pack.stamp}"]
    y = 0.3
    blocks: list[Text | Picture] = [Text(MARGIN, y, w, 0.65, (title,), TITLE_PT, bold=True)]
    y += 0.75
    size = BODY_PT
    available = SLIDE_H - 0.5 - y - _height(small, 14, w, gap=4) - 0.15
    while size > 16 and _height(body, size, w, gap=6) > available:  # a long list of peer names
        size -= 1
    h = _height(body, size, w, gap=6)
    blocks.append(Text(MARGIN, y, w, h, tuple(body), size))
    y += h + 0.15
    blocks.append(Text(MARGIN, y, w, _height(small[:1], 14, w), tuple(small[:1]), 14, color=BLUE, link=pack.permalink))
    y += _height(small[:1], 14, w)
    blocks.append(Text(MARGIN, y, w, _height(small[1:], 14, w, gap=4), tuple(small[1:]), 14, color=GREY))
    return Page(title, tuple(blocks), f"Present these slides: {pack.present_link}")


def _reference_pages(pack: Pack, title: str, paragraphs: Sequence[str]) -> list[Page]:
    """Reference text split over as many pages as it needs."""
    w = SLIDE_W - 2 * MARGIN
    top = 1.05
    room = SLIDE_H - 0.55 - top
    pages: list[list[str]] = [[]]
    for p in paragraphs:
        if pages[-1] and _height([*pages[-1], p], REFERENCE_PT, w, gap=4) > room:
            pages.append([])
        pages[-1].append(p)
    out = []
    for i, chunk in enumerate(pages):
        heading = title if i == 0 else f"{title} (continued)"
        out.append(Page(heading, (Text(MARGIN, 0.3, w, 0.65, (heading,), TITLE_PT, bold=True),
                                  Text(MARGIN, top, w, room, tuple(chunk), REFERENCE_PT))))
    return out


# ---------------------------------------------------------------- images

_IMAGE_CACHE: dict[str, list[tuple[bytes, bytes | None]]] = {}
_IMAGE_LOCK = threading.Lock()
_IMAGE_CACHE_SIZE = 4


def render_images(pack: Pack, pages: Sequence[Page] | None = None) -> list[tuple[bytes, bytes | None]]:
    """PNG of the strip and trend of every slide (in parallel; cached by stamp, so PPTX and PDF share them)."""
    key = pack.stamp
    with _IMAGE_LOCK:
        if key in _IMAGE_CACHE:
            return _IMAGE_CACHE[key]
    sizes: dict[tuple[int, str], tuple[float, float]] = {}
    for page in pages or layout(pack):
        for b in page.blocks:
            if isinstance(b, Picture):
                sizes[(b.slide, b.which)] = (b.w, b.h)
    jobs: list[tuple[int, str]] = []
    specs: list[dict[str, Any]] = []
    for i, s in enumerate(pack.slides):
        for which in ("strip", "trend"):
            if (i, which) in sizes:
                chart = s.strip() if which == "strip" else s.trend()
                if chart is None:
                    continue
                px_w, px_h = chart_box_px(*sizes[(i, which)])
                jobs.append((i, which))
                specs.append(images.chart_spec(chart, px_w, px_h))
    pngs = dict(zip(jobs, images.specs_to_png(specs, scale=CHART_SCALE, shrink=True), strict=True))
    out = [(pngs[(i, "strip")], pngs.get((i, "trend"))) for i in range(len(pack.slides))]
    with _IMAGE_LOCK:
        _IMAGE_CACHE[key] = out
        while len(_IMAGE_CACHE) > _IMAGE_CACHE_SIZE:
            _IMAGE_CACHE.pop(next(iter(_IMAGE_CACHE)))
    return out


def _picture_bytes(imgs: Sequence[tuple[bytes, bytes | None]], b: Picture) -> bytes | None:
    strip, trend = imgs[b.slide]
    return strip if b.which == "strip" else trend


# ---------------------------------------------------------------- PPTX


def _pack_datetime(pack: Pack) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(pack.date), dt.time(0, 0))


def pack_pptx(pack: Pack, imgs: Sequence[tuple[bytes, bytes | None]] | None = None) -> bytes:
    """The pack as a 16:9 PowerPoint file; the same pack (and date) gives the same bytes."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
    from pptx.util import Inches, Pt

    pages = layout(pack)
    imgs = imgs if imgs is not None else render_images(pack, pages)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    title_only = prs.slide_layouts[5]
    for page in pages:
        slide = prs.slides.add_slide(title_only)
        first = True
        for b in page.blocks:
            if isinstance(b, Picture):
                data = _picture_bytes(imgs, b)
                if data is not None:
                    pic = slide.shapes.add_picture(io.BytesIO(data), Inches(b.x), Inches(b.y), Inches(b.w),
                                                   Inches(b.h))
                    pic.name = f"{b.which} chart"
                    # alt text for screen readers
                    pic._element.nvPicPr.cNvPr.set("descr", pack.slides[b.slide].alt_text(b.which))
                continue
            if first:  # the page title goes into the layout's title placeholder (readers and outlines use it)
                shape = slide.shapes.title
                shape.left, shape.top, shape.width, shape.height = (Inches(b.x), Inches(b.y), Inches(b.w),
                                                                    Inches(b.h))
                first = False
            else:
                shape = slide.shapes.add_textbox(Inches(b.x), Inches(b.y), Inches(b.w), Inches(b.h))
                if b.role:
                    shape.name = b.role.capitalize()
            tf = shape.text_frame
            tf.word_wrap = True
            tf.auto_size = MSO_AUTO_SIZE.NONE
            tf.vertical_anchor = MSO_ANCHOR.TOP
            tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
            for n, text in enumerate(b.paragraphs):
                para = tf.paragraphs[0] if n == 0 else tf.add_paragraph()
                para.alignment = PP_ALIGN.LEFT
                if n:
                    para.space_before = Pt(6 if b.size >= BODY_PT else 4)
                run = para.add_run()
                run.text = text
                run.font.size = Pt(b.size)
                run.font.bold = b.bold
                run.font.name = "Arial"
                run.font.color.rgb = RGBColor.from_string(b.color)
                if b.link:
                    run.hyperlink.address = b.link
        if page.notes:
            slide.notes_slide.notes_text_frame.text = page.notes
    props = prs.core_properties
    when = _pack_datetime(pack)
    props.title = f"{pack.official_name}: compared with similar councils"
    props.subject = pack.stamp
    props.author = props.last_modified_by = "Level Measures"
    props.keywords = f"{pack.code}; {pack.lens}; k={pack.k}; data {pack.data_version}"
    props.created = props.modified = props.last_printed = when
    props.revision = 1
    out = io.BytesIO()
    prs.save(out)
    return _fixed_zip_times(out.getvalue(), when)


def _fixed_zip_times(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite a zip with every member dated `when`, so the file's bytes depend on its content only."""
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------- PDF


def _pdf_plain(text: str) -> str:
    """Only characters the standard Helvetica can draw (Windows-1252), common others spelled out."""
    swaps = {"−": "-", "≥": ">=", "≤": "<=", "→": "->", "\u00a0": " "}
    text = "".join(swaps.get(ch, ch) for ch in text)
    return text.encode("cp1252", errors="replace").decode("cp1252")


def _pdf_text(text: str) -> str:
    """Escape for reportlab's markup (after _pdf_plain)."""
    return _pdf_plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pack_pdf(pack: Pack, imgs: Sequence[tuple[bytes, bytes | None]] | None = None) -> bytes:
    """The pack as a PDF of 16:9 pages with the same boxes as the PPTX; the same pack gives the same bytes."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Frame, KeepInFrame, Paragraph

    pages = layout(pack, "pdf")
    imgs = imgs if imgs is not None else render_images(pack, pages)
    out = io.BytesIO()
    width, height = SLIDE_W * 72, SLIDE_H * 72
    canvas = Canvas(out, pagesize=(width, height), invariant=1, pageCompression=1)
    canvas.setTitle(f"{pack.official_name}: compared with similar councils")
    canvas.setAuthor("Level Measures")
    canvas.setSubject(pack.stamp)
    canvas.setKeywords(f"{pack.code}; {pack.lens}; k={pack.k}; data {pack.data_version}; {pack.date}")
    canvas.setCreator(PACK_VERSION)
    for page in pages:
        for b in page.blocks:
            x, top, w, h = b.x * 72, height - b.y * 72, b.w * 72, b.h * 72
            if isinstance(b, Picture):
                data = _picture_bytes(imgs, b)
                if data is not None:
                    canvas.drawImage(ImageReader(io.BytesIO(data)), x, top - h, w, h)
                continue
            style = ParagraphStyle("p", fontName="Helvetica-Bold" if b.bold else "Helvetica", fontSize=b.size,
                                   leading=b.size * 1.2, textColor=HexColor(f"#{b.color}"),
                                   spaceBefore=6 if b.size >= BODY_PT else 4)
            paras = []
            for text in b.paragraphs:
                markup = _pdf_text(text)
                if b.link:
                    markup = f'<link href="{_pdf_text(b.link)}">{markup}</link>'
                paras.append(Paragraph(markup, style))
            frame_h = min(h, top)  # the layout measured the text with these fonts; shrink only as a last resort
            frame = Frame(x, top - frame_h, w, frame_h, leftPadding=0, rightPadding=0, topPadding=0,
                          bottomPadding=0, showBoundary=0)
            frame.addFromList([KeepInFrame(w, frame_h, paras, mode="shrink")], canvas)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def pack_bytes(pack: Pack, fmt: str) -> bytes:
    """The pack in one of FORMATS."""
    if fmt == "pptx":
        return pack_pptx(pack)
    if fmt == "pdf":
        return pack_pdf(pack)
    raise ValueError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")


def pack_text(pack: Pack) -> str:
    """All the words of the pack in page order (for checks such as 'no rank wording')."""
    return "\n".join(t for page in layout(pack) for b in page.blocks if isinstance(b, Text) for t in b.paragraphs)


def check_no_ranks(text: str) -> None:
    """Refuse a pack whose words read as a ranking."""
    hit = RANK_WORDS.search(text)
    if hit:
        raise ValueError(f"a pack never carries rank wording (found '{hit.group(0)}')")


# ---------------------------------------------------------------- command line


def cli_pack(code: str, fmt: str, out_path: Path | str, lens: str = "overall", k: int = peers.DEFAULT_K,
             areas: str | Sequence[str] | None = None, base_url: str = DEFAULT_BASE_URL,
             date: str | None = None) -> tuple[int, str]:
    """`python -m lm_core pack CODE --format pdf|pptx --out FILE`: (exit code, message); 0 ok, 1 bad input."""
    from lm_core.peer_groups import PeerInputError, tier_context
    from lm_core.peers import load_config
    from lm_core.profile import build_profile, split_by_indicator
    from lm_core.queries import authorities, catalogue, store_facts, values_for
    from lm_core.store import StoreError, ensure_store, get_engine

    if fmt not in FORMATS:
        return 1, f"pack: unknown format '{fmt}' (choose from {', '.join(FORMATS)})"
    try:
        chosen = parse_areas(areas)
        if date is not None:
            dt.date.fromisoformat(date)
    except ValueError as exc:
        return 1, f"pack: {exc}"
    try:
        engine = get_engine()
        ensure_store(engine)
        table = authorities(engine)
        if code not in set(table["area_code"]):
            return 1, f"pack: {code} is not a current English council code"
        cat = catalogue(engine)
        config = load_config()
        if lens not in config.lenses:
            return 1, f"pack: unknown lens '{lens}' (choose from {', '.join(config.lenses)})"
        if not peers.K_RANGE[0] <= k <= peers.K_RANGE[1]:
            return 1, f"pack: k must be between {peers.K_RANGE[0]} and {peers.K_RANGE[1]}, not {k}"
        values = values_for(engine)
        contexts = {t: tier_context(values, cat, table, t, config) for t in ("lower", "upper")}
        by_indicator = split_by_indicator(values)
        profile = build_profile(code, table, cat, by_indicator, contexts, config, lens, k)
        pack = build_pack(profile, cat, by_indicator, table, config,
                          store_facts(engine)["data_version"], chosen, date, base_url)
    except (PeerInputError, StoreError) as exc:
        return 1, f"pack: {exc}"
    if not pack.slides:
        return 1, f"pack: {pack.name} has no measures in {', '.join(chosen)}"
    check_no_ranks(pack_text(pack))
    data = pack_bytes(pack, fmt)
    target = Path(out_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pack-", dir=target.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    return 0, (f"wrote {target} ({len(pack.slides)} measures, {len(data) / 1024:,.0f} KB)\n"
               f"stamp {pack.stamp}\nview {pack.permalink}")


__all__ = ["DEFAULT_BASE_URL", "FORMATS", "OFLOG_AREAS", "PACK_VERSION", "Pack", "Page", "Picture", "Slide", "Text",
           "area_slug", "big_type", "build_pack", "build_slides", "check_no_ranks", "cli_pack", "council_link",
           "layout", "measure_sentence", "pack_bytes", "pack_pdf", "pack_pptx", "pack_text", "parse_areas",
           "present_link", "render_images", "shorten", "slides_table"]
