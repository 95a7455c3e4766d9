"""The shipped processed data: real councils, real coverage, honest statuses; bad input rejected."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lm_core.build import BuildError, build_data, load_processed
from lm_core.paths import REPO_ROOT

from ..conftest import require_sources


@pytest.fixture(scope="module")
def shipped() -> dict[str, pd.DataFrame]:
    return load_processed()


def test_exactly_the_current_councils(shipped: dict[str, pd.DataFrame]) -> None:
    a = shipped["authorities"]
    assert a["is_lower"].sum() == 296
    assert a["is_upper"].sum() == 153
    assert a["area_code"].is_unique
    assert set(a.loc[a["is_upper"] & ~a["is_lower"], "area_code"].str[:3]) == {"E10"}


def test_barnsley_and_sheffield_once_on_2024_codes(shipped: dict[str, pd.DataFrame]) -> None:
    v = shipped["values"]
    assert not v["area_code"].isin(["E08000038", "E08000039"]).any()
    a = shipped["authorities"].set_index("area_code")
    assert a.at["E08000016", "area_name"] == "Barnsley" and a.at["E08000019", "area_name"] == "Sheffield"
    assert not v.duplicated(["area_code", "indicator_id", "period"]).any()
    assert v["area_code"].isin(["E08000016"]).any()


def test_only_current_councils_or_england_in_values(shipped: dict[str, pd.DataFrame]) -> None:
    known = set(shipped["authorities"]["area_code"]) | {"E92000001"}
    assert set(shipped["values"]["area_code"]) <= known


def test_no_suppressed_or_missing_value_stored_as_zero(shipped: dict[str, pd.DataFrame]) -> None:
    v = shipped["values"]
    not_numbers = v[v["status"].isin(["x", "c", "z"])]
    assert len(not_numbers) > 0
    assert not_numbers["value"].isna().all()
    assert (v.loc[v["value"].isna(), "status"] != "").all()


def test_minimum_content(shipped: dict[str, pd.DataFrame]) -> None:
    ind = shipped["indicators"]
    outcomes = ind[ind["role"] == "outcome"]
    context = ind[ind["role"] == "context"]
    assert len(outcomes) >= 35
    assert outcomes["service_area"].nunique() >= 9
    assert len(context) >= 10
    assert ind["id"].is_unique
    for family in ("Waste and environment", "Roads and transport", "Housing and planning", "Finance",
                   "Adult social care", "Homelessness"):
        assert family in set(outcomes["service_area"]), family
    assert set(ind["polarity"]) <= {"higher_better", "lower_better", "none"}
    assert (ind["attribution"].str.len() > 20).all()
    assert (ind["licence"].str.contains("OGL|CC BY")).all()


def test_coverage_per_indicator(shipped: dict[str, pd.DataFrame]) -> None:
    """Print the coverage table and hold every series to a floor for its tier."""
    ind = shipped["indicators"]
    rows = []
    for _, r in ind.iterrows():
        tier_cov = {"lower": r["coverage_lower"] / 296, "upper": r["coverage_upper"] / 153,
                    "both": max(r["coverage_lower"] / 296, r["coverage_upper"] / 153)}[r["tier"]]
        rows.append((r["id"], r["tier"], r["latest_period"], round(tier_cov, 2)))
    print("\n".join(f"{i:50} {t:5} {p:>14} {c:.0%}" for i, t, p, c in rows))
    thin = [r for r in rows if r[3] < 0.4]
    assert not thin, f"indicators with under 40% of their tier in the latest period: {thin}"


def test_every_context_variable_covers_both_tiers_where_published(shipped: dict[str, pd.DataFrame]) -> None:
    ind = shipped["indicators"]
    context = ind[ind["role"] == "context"]
    assert (context["coverage_lower"] >= 280).sum() >= 10


def _mirror_sources(tmp: Path, src: Path) -> Path:
    """A sources folder of symlinks, so one file can be replaced without touching the originals."""
    root = tmp / "sources"
    for folder in src.iterdir():
        if folder.is_dir():
            (root / folder.name).mkdir(parents=True)
            for f in folder.iterdir():
                (root / folder.name / f.name).symlink_to(f)
    return root


def _tree_hash(path: Path) -> str:
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f.relative_to(path).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize(
    ("folder", "filename", "content", "expected"),
    [
        ("mysociety-la-names-codes", "uk_local_authorities_current.csv", b"a,b\n1,2\n", "columns missing"),
        ("ons-ruc2021-lad", "Rural_Urban_Classification_(2021)_of_Local_Authority_Districts_(2024)_in_EW.csv",
         b"\x00\x01garbage", "Rural_Urban_Classification"),
        ("ons-uk-topojson", "topo.json", b"{not json", "topo.json"),
    ],
)
def test_bad_source_file_named_and_data_untouched(
    tmp_path: Path, folder: str, filename: str, content: bytes, expected: str
) -> None:
    src = _mirror_sources(tmp_path, require_sources())
    target = src / folder / filename
    target.unlink()
    target.write_bytes(content)
    out, static = tmp_path / "processed", tmp_path / "static"
    out.mkdir()
    (out / "sentinel.txt").write_text("previous build")
    before = _tree_hash(out)
    with pytest.raises(BuildError) as err:
        build_data(src, out_dir=out, static_dir=static, readers=("ons_ruc",), echo=lambda _: None)
    assert expected in str(err.value)
    assert _tree_hash(out) == before


def test_missing_source_file_cli_exit_code(tmp_path: Path) -> None:
    src = _mirror_sources(tmp_path, require_sources())
    (src / "mysociety-la-names-codes" / "uk_local_authorities_current.csv").unlink()
    out = tmp_path / "processed"
    result = subprocess.run(
        [sys.executable, "-m", "lm_core", "build-data", "--sources", str(src), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO_ROOT, env=os.environ | {"PYTHONPATH": str(REPO_ROOT)},
        timeout=300,
    )
    assert result.returncode == 1
    assert "uk_local_authorities_current.csv" in result.stderr and "not found" in result.stderr
    assert not out.exists()


def test_peers_cli_json_and_errors(tmp_path: Path) -> None:
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT), "LM_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    ok = subprocess.run([sys.executable, "-m", "lm_core", "peers", "E07000117", "--lens", "people", "--k", "8",
                         "--json"], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    import json

    payload = json.loads(ok.stdout)
    assert payload["council"] == "E07000117" and len(payload["peers"]) == 8 and len(payload["hash"]) == 10
    assert "rank" not in ok.stdout.lower()
    bad = subprocess.run([sys.executable, "-m", "lm_core", "peers", "E07000117", "--k", "40"],
                         capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert bad.returncode == 1 and "between 5 and 30" in bad.stderr
    unknown = subprocess.run([sys.executable, "-m", "lm_core", "peers", "E99999999"],
                             capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert unknown.returncode == 1 and "not a current English council" in unknown.stderr


def test_load_cli_accepts_good_and_rejects_bad(tmp_path: Path) -> None:
    """Synthetic CSVs (test data, not real figures)."""
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT), "LM_DATABASE_URL": f"sqlite:///{tmp_path / 'load.sqlite'}"}
    good = tmp_path / "good.csv"
    good.write_text("area_code,period,value\nE07000117,2024-25,12.5\nE07000120,2024-25,[c]\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("area_code,period,value\nE07000117,2024-25,=1+1\n")
    common = ["--title", "Local measure", "--unit", "%", "--polarity", "none", "--source", "Test council"]
    ok = subprocess.run([sys.executable, "-m", "lm_core", "load", str(good), *common, "--save"],
                        capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    no = subprocess.run([sys.executable, "-m", "lm_core", "load", str(bad), *common],
                        capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert no.returncode == 1 and "Row 2" in no.stderr and "formula" in no.stderr


def test_catalogue_text_has_no_rank_wording(shipped: dict[str, pd.DataFrame]) -> None:
    import re

    pattern = re.compile(r"\b(rank(ed|ing|s)?|league table|quartile|\d+(st|nd|rd|th) of \d+)\b", re.IGNORECASE)
    ind = shipped["indicators"]
    for col in ("title", "description", "caveats", "unit"):
        hits = [(i, t) for i, t in zip(ind["id"], ind[col], strict=True) if pattern.search(str(t))]
        assert not hits, hits[:3]
    assert not any(pattern.search(c) for c in shipped["values"].columns)


def test_compare_cli_json(tmp_path: Path) -> None:
    import json

    env = os.environ | {"PYTHONPATH": str(REPO_ROOT), "LM_DATABASE_URL": f"sqlite:///{tmp_path / 'cmp.sqlite'}"}
    ok = subprocess.run([sys.executable, "-m", "lm_core", "compare", "E10000016", "--indicator",
                         "asc_short_term_support_no_further_need", "--json"], capture_output=True, text=True,
                        cwd=REPO_ROOT, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    payload = json.loads(ok.stdout)
    (measure,) = payload["measures"]
    assert measure["indicator"] == "asc_short_term_support_no_further_need" and len(measure["similar_councils"]) == 15
    assert "similar councils" in measure["label"] or measure["status"]
    assert "rank" not in ok.stdout.lower()
    bad = subprocess.run([sys.executable, "-m", "lm_core", "compare", "E10000016", "--indicator", "imd_average_score"],
                         capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert bad.returncode == 1 and "not an outcome" in bad.stderr
