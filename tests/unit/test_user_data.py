"""User-supplied indicators in the store: round trip, all-or-nothing saves, official ids protected.

The uploads are synthetic, built by code here; each test works on its own copy of the session's
SQLite store, so nothing leaks between tests.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, insert, inspect, select, table, text

from lm_core.build import load_processed
from lm_core.store import Indicator, get_engine, read_table
from lm_core.upload import UploadMeta, validate_upload
from lm_core.user_data import (
    ORIGIN,
    USER_TABLES,
    UserDataError,
    list_user_indicators,
    load_cli,
    save_user_indicator,
    user_indicator_id,
    user_values,
)

TABLES = load_processed()
META = UploadMeta(title="Parks satisfaction (%)", unit="%", polarity="higher_better", tier="lower",
                  source="Residents' survey 2024, our own")
CSV = (b"code,period,value,lower,upper,status,note\n"
       b"E06000001,2023-24,42.5,40,45,,\n"
       b"E06000002,2023-24,[c],,,,suppressed\n"
       b"E07000163,2022-23,12.25,,,u,\n"
       b"E07000008,2023-24,0,,,,\n")


@pytest.fixture
def store(sqlite_engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the session's store (the official tables loaded, no user tables yet)."""
    sqlite_engine.dispose()
    dst = tmp_path / "store.sqlite"
    shutil.copy(Path(str(sqlite_engine.url.database)), dst)
    engine = get_engine(f"sqlite:///{dst}")
    yield engine
    engine.dispose()


def values() -> pd.DataFrame:
    report = validate_upload(CSV, TABLES["authorities"], TABLES["lineage"], META)
    assert report.ok and report.values is not None, report.summary()
    return report.values


def snapshot(engine: Engine) -> dict[str, object]:
    """Row counts of every table, the official catalogue's ids, and a hash of the user tables."""
    names = sorted(inspect(engine).get_table_names())
    out: dict[str, object] = {"tables": names}
    with engine.connect() as conn:
        for name in names:
            out[name] = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
        for t in USER_TABLES:
            if t.name in names:
                rows = conn.execute(select(t).order_by(*t.primary_key.columns)).all()
                out[f"{t.name}#hash"] = hashlib.sha256(repr(rows).encode()).hexdigest()
        out["indicator_ids"] = sorted(conn.execute(select(Indicator.id)).scalars())
        out["data_version"] = conn.execute(text("select value from store_meta where key='data_version'")).scalar()
    return out


def official(s: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in s.items() if not k.startswith("user_") and k != "tables"}


def test_save_round_trip(store: Engine) -> None:
    before = snapshot(store)
    frame = values()
    indicator_id = save_user_indicator(store, META, frame)
    assert indicator_id.startswith("user_parks_satisfaction_") and len(indicator_id) <= 80
    listed = list_user_indicators(store)
    assert listed["id"].tolist() == [indicator_id]
    rec = listed.iloc[0]
    assert (rec["title"], rec["unit"], rec["polarity"], rec["tier"], rec["source"], rec["origin"]) == (
        META.title, "%", "higher_better", "lower", META.source, ORIGIN)
    assert rec["uploaded_at"][:2] == "20" and "T" in rec["uploaded_at"]
    back = user_values(store, indicator_id)
    assert (back["indicator_id"] == indicator_id).all()
    pd.testing.assert_frame_equal(back.drop(columns="indicator_id"), frame, check_dtype=True)
    c = back[back["area_code"] == "E06000002"]
    assert c["status"].tolist() == ["c"] and c["value"].isna().all()  # NULL stays NULL, never 0
    assert back.set_index("area_code").loc["E07000008", "value"] == 0.0
    assert official(snapshot(store)) == official(before)  # official tables untouched


def test_same_upload_twice_is_one_indicator(store: Engine) -> None:
    frame = values()
    first = save_user_indicator(store, META, frame)
    state = snapshot(store)
    assert save_user_indicator(store, META, frame) == first
    assert snapshot(store) == state
    other = save_user_indicator(store, replace(META, source="another survey"), frame)
    assert other != first and len(list_user_indicators(store)) == 2


def test_failing_save_leaves_store_exactly_as_before(store: Engine) -> None:
    save_user_indicator(store, META, values())  # user tables exist and hold one indicator
    before = snapshot(store)
    frame = values()
    broken = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)  # duplicate key, caught by the database
    with pytest.raises(UserDataError, match="rolled back"):
        save_user_indicator(store, replace(META, title="Broken"), broken)
    assert snapshot(store) == before


def test_failing_first_save_leaves_no_rows(store: Engine) -> None:
    before = snapshot(store)
    frame = values()
    with pytest.raises(UserDataError):
        save_user_indicator(store, META, pd.concat([frame, frame.iloc[[1]]], ignore_index=True))
    after = snapshot(store)
    assert official(after) == official(before)
    assert after["user_indicator"] == after["user_indicator_value"] == 0


def test_official_indicator_id_cannot_be_overwritten(store: Engine) -> None:
    frame = values()
    taken = user_indicator_id(META, frame)
    row = read_table(store, Indicator).iloc[0].to_dict()
    row["id"] = taken
    with store.begin() as conn:
        conn.execute(insert(Indicator), [{str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}])
    before = snapshot(store)
    with pytest.raises(UserDataError, match="official indicator"):
        save_user_indicator(store, META, frame)
    assert snapshot(store) == before
    assert list_user_indicators(store).empty


def test_values_without_the_layout_are_refused(store: Engine) -> None:
    before = snapshot(store)
    with pytest.raises(UserDataError, match="missing column"):
        save_user_indicator(store, META, values().drop(columns="period_start"))
    with pytest.raises(UserDataError, match="no figures"):
        save_user_indicator(store, META, values().iloc[0:0])
    assert official(snapshot(store)) == official(before)


def test_store_without_user_tables_lists_nothing(store: Engine) -> None:
    # build_db creates every table on Base, user ones included; drop them to meet an older store
    with store.begin() as conn:
        for t in reversed(USER_TABLES):
            t.drop(conn, checkfirst=True)
    assert list_user_indicators(store).empty
    empty = user_values(store, "user_nothing_0000000000")
    assert empty.empty and list(empty.columns)[:2] == ["area_code", "indicator_id"]
    indicator_id = save_user_indicator(store, META, values())  # creates the tables again
    assert list_user_indicators(store)["id"].tolist() == [indicator_id]


def test_load_cli(store: Engine, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(CSV)
    code, message = load_cli(good, META.title, META.unit, META.polarity, META.tier, META.source, False, store)
    assert code == 0 and "accepted: 4 figures" in message and "not saved" in message
    assert list_user_indicators(store).empty
    code, message = load_cli(good, META.title, META.unit, META.polarity, META.tier, META.source, True, store)
    assert code == 0 and "saved as user_parks_satisfaction_" in message
    assert "E07000163 (Craven) is a retired code" in message
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"code,period,value\nE06000001,2023-24,=1+1\nW06000015,2023-24,5\n")
    before = snapshot(store)
    code, message = load_cli(bad, META.title, META.unit, META.polarity, META.tier, META.source, True, store)
    assert code == 1 and message.startswith("rejected: 2 problems")
    assert "Row 2 (value): '=1+1' looks like a spreadsheet formula" in message
    assert "W06000015 is a Welsh code" in message
    assert snapshot(store) == before
    code, message = load_cli(tmp_path / "missing.csv", "t", "%", "none", "lower", "s", True, store)
    assert code == 2 and "cannot read" in message
