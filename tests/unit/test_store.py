"""Store round trips on SQLite and PostgreSQL: same contents, idempotent, all-or-nothing."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from lm_core import queries
from lm_core.build import load_processed, read_manifest
from lm_core.paths import PROCESSED_DIR
from lm_core.store import StoreError, build_db, ensure_store, get_engine, safe_url, stored_version


def snapshot(engine: Engine) -> dict[str, pd.DataFrame]:
    """Every table, sorted, for exact comparison."""
    return {
        "authorities": queries.authorities(engine),
        "indicators": queries.catalogue(engine).sort_values("id").reset_index(drop=True),
        "values": queries.values_for(engine).reset_index(drop=True),
        "lineage": queries.lineage(engine).sort_values(["old_code", "new_code"]).reset_index(drop=True),
    }


def assert_matches_processed(engine: Engine) -> None:
    shipped = load_processed()
    stored = snapshot(engine)
    assert len(stored["authorities"]) == len(shipped["authorities"]) == 317
    assert len(stored["values"]) == len(shipped["values"])
    assert set(stored["indicators"]["id"]) == set(shipped["indicators"]["id"])
    # NULL stays NULL: no missing value comes back as 0.
    missing = stored["values"][stored["values"]["status"].isin(["x", "c", "z"])]
    assert missing["value"].isna().all()
    merged = stored["values"].merge(shipped["values"], on=["area_code", "indicator_id", "period"],
                                    suffixes=("_db", "_file"))
    both = merged["value_db"].notna() & merged["value_file"].notna()
    assert (merged.loc[both, "value_db"] - merged.loc[both, "value_file"]).abs().max() < 1e-9
    assert (merged["value_db"].isna() == merged["value_file"].isna()).all()


def test_sqlite_round_trip_and_idempotent(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    version = build_db(engine)
    assert version == read_manifest()["data_version"] == stored_version(engine)
    assert_matches_processed(engine)
    first = snapshot(engine)
    build_db(engine)
    second = snapshot(engine)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])
    assert ensure_store(engine) is False  # already current: no rebuild


def test_failed_load_leaves_previous_contents(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'b.sqlite'}")
    build_db(engine)
    before = snapshot(engine)
    broken = tmp_path / "processed"
    shutil.copytree(PROCESSED_DIR, broken)
    values = pd.read_parquet(broken / "values.parquet")
    # A duplicate primary key in the last table makes the load fail after earlier tables were replaced.
    pd.concat([values, values.head(1)]).to_parquet(broken / "values.parquet")
    with pytest.raises(StoreError, match="rolled back"):
        build_db(engine, broken)
    after = snapshot(engine)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    assert stored_version(engine) == read_manifest()["data_version"]


def test_interrupted_store_is_rebuilt(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    build_db(engine)
    with engine.begin() as conn:
        from sqlalchemy import delete

        from lm_core.store import Meta

        conn.execute(delete(Meta))  # as if a build died before its last statement
    assert stored_version(engine) is None
    assert ensure_store(engine) is True
    assert stored_version(engine) == read_manifest()["data_version"]


def test_bad_url_message_hides_password() -> None:
    assert "s3cret" not in safe_url("postgresql+psycopg://me:s3cret@db.example/x")
    with pytest.raises(StoreError) as err:
        get_engine("nonsense-not-a-url")
    assert "not a database URL" in str(err.value)


@pytest.mark.postgres
def test_postgres_round_trip_matches_sqlite(postgres_url: str, sqlite_engine: Engine) -> None:
    engine = get_engine(postgres_url)
    build_db(engine)
    build_db(engine)  # idempotent on PostgreSQL too
    assert_matches_processed(engine)
    pg, lite = snapshot(engine), snapshot(sqlite_engine)
    for name in ("authorities", "indicators", "lineage"):
        pd.testing.assert_frame_equal(pg[name].reset_index(drop=True), lite[name].reset_index(drop=True),
                                      check_dtype=False)
    code = "E07000117"  # Burnley
    a = queries.values_for(engine, area_codes=[code]).reset_index(drop=True)
    b = queries.values_for(sqlite_engine, area_codes=[code]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert not any(math.isnan(v) for v in a["value"].dropna())
    engine.dispose()
