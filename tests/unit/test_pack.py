"""Committee packs for a real council: PPTX and PDF open, say the right things, never rank, and rebuild exactly."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import Engine

from lm_core import geo, images
from lm_core.export import RANK_WORDS, safe_csv_bytes
from lm_core.pack import (
    OFLOG_AREAS,
    Pack,
    area_slug,
    build_pack,
    cli_pack,
    layout,
    pack_pdf,
    pack_pptx,
    pack_text,
    parse_areas,
    render_images,
    slides_table,
)
from lm_core.peer_groups import tier_context
from lm_core.peers import METHOD_VERSION, load_config
from lm_core.profile import build_profile, split_by_indicator
from lm_core.queries import authorities, catalogue, store_facts, values_for
from lm_core.sources.base import SERVICE_AREAS
from lm_core.sources.mysociety_register import ATTRIBUTION as REGISTER_ATTRIBUTION

BURNLEY = "E07000117"
AREAS = ("Waste and environment", "Homelessness")
DATE = "2025-06-01"
BASE = "https://example.org/lm"


@dataclass
class Inputs:
    """Everything build_pack needs, loaded once from the test store."""

    table: pd.DataFrame
    catalogue: pd.DataFrame
    by_indicator: dict[str, pd.DataFrame]
    contexts: dict[str, object]
    version: str

    def pack(self, code: str = BURNLEY, areas: tuple[str, ...] | None = AREAS, k: int = 15,
             date: str = DATE, lens: str = "overall") -> Pack:
        config = load_config()
        profile = build_profile(code, self.table, self.catalogue, self.by_indicator, self.contexts,  # type: ignore[arg-type]
                                config, lens, k)
        return build_pack(profile, self.catalogue, self.by_indicator, self.table, config, self.version, areas,
                          date, BASE)


@pytest.fixture(scope="module")
def inputs(sqlite_engine: Engine) -> Inputs:
    table, cat = authorities(sqlite_engine), catalogue(sqlite_engine)
    values = values_for(sqlite_engine)
    config = load_config()
    contexts = {t: tier_context(values, cat, table, t, config) for t in ("lower", "upper")}
    return Inputs(table, cat, split_by_indicator(values), contexts, store_facts(sqlite_engine)["data_version"])


@pytest.fixture(scope="module")
def burnley(inputs: Inputs) -> tuple[Pack, bytes, bytes]:
    pack = inputs.pack()
    started = time.perf_counter()
    render_images(pack)
    rendered = time.perf_counter() - started
    pptx, pdf = pack_pptx(pack), pack_pdf(pack)
    print(f"\n{len(pack.slides)} measures: charts {rendered:.1f} s; PPTX {len(pptx) / 1024:.0f} KB, "
          f"PDF {len(pdf) / 1024:.0f} KB")
    return pack, pptx, pdf


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def pptx_texts(data: bytes) -> list[str]:
    """All text of each slide (notes included), in order."""
    out = []
    for slide in Presentation(io.BytesIO(data)).slides:
        parts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
        if slide.has_notes_slide:
            parts.append(slide.notes_slide.notes_text_frame.text)
        out.append(flat(" ".join(parts)))
    return out


def test_pptx_has_title_measure_methods_and_source_slides(burnley: tuple[Pack, bytes, bytes],
                                                          inputs: Inputs) -> None:
    pack, pptx, _ = burnley
    prs = Presentation(io.BytesIO(pptx))
    assert round(prs.slide_width / prs.slide_height, 2) == round(16 / 9, 2)
    assert len(pack.slides) == 10  # 5 waste (the county's landfill figure included) + 5 homelessness
    pages = layout(pack)
    assert len(prs.slides) == len(pages)
    titles = [s.shapes.title.text for s in prs.slides]
    meta = inputs.catalogue.set_index("id")
    assert titles[0] == "Burnley Borough Council"
    assert titles[1:11] == [str(meta.at[s.indicator_id, "title"]) for s in pack.slides]
    assert titles[11] == "How these comparisons were made"
    assert titles[12] == "Sources and licences"
    assert all(t.startswith(("Sources and licences", "Caveats in full")) for t in titles[12:])
    # each measure slide carries its two charts as pictures (strip always; trend where > 1 period)
    for slide, s in zip(list(prs.slides)[1:11], pack.slides, strict=True):
        pictures = [sh for sh in slide.shapes if sh.shape_type == 13]
        assert len(pictures) == (2 if s.has_trend else 1)
        assert all(sh.image.blob[:8] == images.PNG_MAGIC for sh in pictures)


def test_type_is_large_enough_to_read_across_a_room(burnley: tuple[Pack, bytes, bytes]) -> None:
    _, pptx, _ = burnley
    prs = Presentation(io.BytesIO(pptx))
    for n, slide in enumerate(prs.slides):
        title_sizes = {r.font.size.pt for p in slide.shapes.title.text_frame.paragraphs for r in p.runs}
        assert min(title_sizes) >= 28
        if 1 <= n <= 10:  # measure slides: everything but the footer at 20 pt or more
            body = [r.font.size.pt for sh in slide.shapes if sh.has_text_frame and sh.name != "Footer"
                    for p in sh.text_frame.paragraphs for r in p.runs]
            assert body and min(body) >= 20


def test_title_slide_states_peer_definition_data_version_and_date(burnley: tuple[Pack, bytes, bytes]) -> None:
    pack, pptx, _ = burnley
    first = pptx_texts(pptx)[0]
    assert "15 councils most like it" in first and "Overall lens" in first
    for tier, digest in pack.peer_hashes:
        assert f"{tier} tier {digest}" in first
    assert {t for t, _ in pack.peer_hashes} == {"lower", "upper"}  # Lancashire's landfill figure: upper tier
    assert f"Data version {pack.data_version}" in first and METHOD_VERSION in first and DATE in first
    assert f"{BASE}/council?council={BURNLEY}&lens=overall&k=15" in first
    assert pack.stamp in first


def test_methods_and_sources_carry_every_attribution(burnley: tuple[Pack, bytes, bytes], inputs: Inputs) -> None:
    pack, pptx, pdf = burnley
    meta = inputs.catalogue.set_index("id")
    needed = {str(meta.at[s.indicator_id, "attribution"]) for s in pack.slides}
    needed |= {REGISTER_ATTRIBUTION, geo.ATTRIBUTION}
    needed |= {str(meta.at["imd_average_score", "attribution"]), str(meta.at["population", "attribution"])}
    assert needed <= set(pack.attributions)
    texts = pptx_texts(pptx)
    sources = " ".join(t for t, title in zip(texts, [p.title for p in layout(pack)], strict=True)
                       if title.startswith("Sources and licences"))
    pdf_text = flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    for line in pack.attributions:
        assert flat(line) in sources
        assert flat(line) in pdf_text
    methods = texts[11]
    assert "Blackburn with Darwen" in methods or "Hyndburn" in methods  # the similar councils, named
    assert f"python -m lm_core pack {BURNLEY} --format pptx --lens overall --k 15" in methods
    assert "--areas waste-and-environment,homelessness" in methods


def test_pdf_has_the_same_pages_titles_and_permalink(burnley: tuple[Pack, bytes, bytes]) -> None:
    pack, _, pdf = burnley
    reader = PdfReader(io.BytesIO(pdf))
    pages = layout(pack)
    assert len(reader.pages) == len(pages)
    box = reader.pages[0].mediabox
    assert round(float(box.width) / float(box.height), 2) == round(16 / 9, 2)
    for page, planned in zip(reader.pages, pages, strict=True):
        assert flat(page.extract_text()).startswith(flat(planned.title)[:30])
    assert pack.permalink in flat(reader.pages[0].extract_text())
    assert reader.metadata is not None and reader.metadata.subject == pack.stamp
    assert pdf[:5] == b"%PDF-"


def test_no_rank_wording_anywhere(burnley: tuple[Pack, bytes, bytes], inputs: Inputs) -> None:
    pack, pptx, pdf = burnley
    everything = [pack_text(pack), *pptx_texts(pptx),
                  *(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages),
                  safe_csv_bytes(slides_table(pack, inputs.catalogue)).decode("utf-8-sig")]
    for text in everything:
        hit = RANK_WORDS.search(text)
        assert hit is None, f"rank wording: {hit.group(0) if hit else ''!r}"


def test_same_inputs_same_stamp_and_bytes(burnley: tuple[Pack, bytes, bytes], inputs: Inputs) -> None:
    pack, pptx, pdf = burnley
    again = inputs.pack()
    assert again.stamp == pack.stamp
    assert pack.stamp.startswith(f"{METHOD_VERSION} · pack-1.0 · data {inputs.version} · content ")
    assert pack_pptx(again) == pptx and pack_pdf(again) == pdf  # same date: byte for byte
    later = inputs.pack(date="2026-01-31")
    assert later.stamp == pack.stamp and later.date == "2026-01-31"  # the date is not part of the content
    assert inputs.pack(k=10).stamp != pack.stamp


def test_default_areas_are_oflogs_families(inputs: Inputs) -> None:
    pack = inputs.pack(areas=None)
    assert pack.areas == OFLOG_AREAS
    assert {s.service_area for s in pack.slides} == set(OFLOG_AREAS)
    county = [s for s in pack.slides if s.row.run_by]
    assert county and all(s.council == "Lancashire" for s in county)  # roads, adult social care: the county's
    assert all("upper-tier council" in s.whose for s in county)


def test_parse_areas() -> None:
    assert parse_areas(None) == OFLOG_AREAS and parse_areas("") == OFLOG_AREAS
    assert parse_areas("all") == SERVICE_AREAS
    assert parse_areas("homelessness,Waste and environment") == ("Waste and environment", "Homelessness")
    assert parse_areas([area_slug("Children's services")]) == ("Children's services",)
    with pytest.raises(ValueError, match="unknown service area"):
        parse_areas("waste,league-tables")


def test_slides_csv_has_codes_peer_context_and_neutralised_formulas(burnley: tuple[Pack, bytes, bytes],
                                                                    inputs: Inputs) -> None:
    pack, _, _ = burnley
    table = slides_table(pack, inputs.catalogue)
    assert len(table) == len(pack.slides)
    assert {"area_code", "similar_councils_median", "typical_range", "compared_with_similar_councils",
            "source", "link", "stamp"} <= set(table.columns)
    assert set(table["area_code"]) == {BURNLEY, "E10000017"}  # Burnley, and Lancashire for landfill
    hostile = table.assign(note="=HYPERLINK(\"http://evil\")")
    data = safe_csv_bytes(hostile)
    assert data.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in data.decode("utf-8-sig")


def test_chart_images_have_the_right_magic(burnley: tuple[Pack, bytes, bytes]) -> None:
    pack, _, _ = burnley
    slide = pack.slides[0]
    assert images.chart_png(slide.strip(), 480, 240)[:8] == images.PNG_MAGIC
    svg = images.chart_svg(slide.strip(), 480, 240)
    assert svg.lstrip().startswith(b"<svg") and b"</svg>" in svg[-20:]
    with pytest.raises(images.ImageError):
        images.chart_png(slide.strip())  # sized to its container: needs a width and height


def test_static_boundary_urls_are_inlined(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text('{"features": [{"type": "Feature", "properties": {"area_code": "A"}, '
                                     '"geometry": {"type": "Point", "coordinates": [0, 0]}}]}')
    spec = {"data": {"url": "app/static/b.json", "format": {"type": "json", "property": "features"}},
            "mark": "geoshape"}
    inlined = images.chart_spec(spec, 100, 100, static_dir=tmp_path)
    assert inlined["data"] == {"values": [{"type": "Feature", "properties": {"area_code": "A"},
                                           "geometry": {"type": "Point", "coordinates": [0, 0]}}],
                               "format": {"type": "json"}}
    assert images.spec_png(inlined)[:8] == images.PNG_MAGIC
    with pytest.raises(images.ImageError):
        images.chart_spec({"data": {"url": "app/static/../../etc/passwd"}, "mark": "point"}, 10, 10,
                          static_dir=tmp_path)


def test_cli_pack_writes_a_file(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LM_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    out = tmp_path / "burnley.pdf"
    code, message = cli_pack(BURNLEY, "pdf", out, areas="roads-and-transport", date=DATE)
    assert code == 0, message
    assert out.read_bytes()[:5] == b"%PDF-" and "stamp peers-1.0" in message
    assert len(PdfReader(str(out)).pages) >= 1 + 2 + 2  # title, Lancashire's two roads measures, methods, sources
    assert cli_pack("E07000163", "pdf", tmp_path / "x.pdf")[0] == 1  # Craven: retired in 2023
    assert cli_pack(BURNLEY, "docx", tmp_path / "x.docx")[0] == 1
    assert cli_pack(BURNLEY, "pdf", tmp_path / "x.pdf", areas="nowhere")[0] == 1
    assert not (tmp_path / "x.pdf").exists()
