"""Figures people bring themselves: stored beside, never inside, the official tables.

A user indicator lives in its own two tables (`user_indicator`, `user_indicator_value`), always
tagged "user-supplied". Saving is one transaction: every row or none. The official tables are
only ever read (to refuse an id that an official indicator already uses).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, Float, ForeignKey, String, Text, insert, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from lm_core.store import Authority, Base, Indicator, Lineage, get_engine, read_table
from lm_core.upload import MAX_UPLOAD_BYTES, VALUE_LAYOUT, UploadMeta, validate_upload

ORIGIN = "user-supplied"


class UserIndicator(Base):
    """One uploaded indicator's description; `origin` is always "user-supplied"."""

    __tablename__ = "user_indicator"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60))
    polarity: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[str] = mapped_column(String(32))  # ISO 8601, UTC
    origin: Mapped[str] = mapped_column(String(20), default=ORIGIN)


class UserValue(Base):
    """One uploaded figure, in the same layout as the official `indicator_value` rows."""

    __tablename__ = "user_indicator_value"
    user_indicator_id: Mapped[str] = mapped_column(ForeignKey("user_indicator.id"), primary_key=True, index=True)
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_start: Mapped[str] = mapped_column(String(10))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper: Mapped[float | None] = mapped_column(Float, nullable=True)
    numerator: Mapped[float | None] = mapped_column(Float, nullable=True)
    denominator: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(1))
    note: Mapped[str] = mapped_column(Text)


USER_TABLES = tuple(Base.metadata.tables[n] for n in (UserIndicator.__tablename__, UserValue.__tablename__))
INDICATOR_COLUMNS: tuple[str, ...] = ("id", "title", "unit", "polarity", "tier", "source", "uploaded_at", "origin")
VALUE_COLUMNS: tuple[str, ...] = ("area_code", "indicator_id", *VALUE_LAYOUT[1:])


class UserDataError(Exception):
    """A save was refused or failed; the store is exactly as it was before."""


def ensure_user_tables(engine: Engine) -> None:
    """Create the two user tables if they are absent (never touches any other table)."""
    Base.metadata.create_all(engine, tables=list(USER_TABLES))


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:40].strip("_")
    return slug or "indicator"


def user_indicator_id(meta: UploadMeta, values: pd.DataFrame) -> str:
    """'user_<slug>_<shorthash>': the hash covers the description and every figure, so it is stable."""
    frame = values.loc[:, list(VALUE_LAYOUT)].sort_values(["area_code", "period"]).reset_index(drop=True)
    payload = json.dumps([meta.title, meta.unit, meta.polarity, meta.tier, meta.source], ensure_ascii=False)
    digest = hashlib.sha256(payload.encode() + b"\n" + frame.to_csv(index=False).encode()).hexdigest()[:10]
    return f"user_{_slug(meta.title)}_{digest}"


def _plain(x: object) -> object:
    """NaN as NULL (never 0), numpy scalars as Python values."""
    if isinstance(x, float) and math.isnan(x):
        return None
    item = getattr(x, "item", None)
    return item() if callable(item) else x


def _value_rows(indicator_id: str, values: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for rec in values.loc[:, list(VALUE_LAYOUT)].to_dict("records"):
        row = {str(k): _plain(v) for k, v in rec.items()}
        row["status"] = "" if row["status"] is None else str(row["status"])
        row["note"] = "" if row["note"] is None else str(row["note"])
        row["user_indicator_id"] = indicator_id
        rows.append(row)
    return rows


def save_user_indicator(engine: Engine, meta: UploadMeta, values: pd.DataFrame) -> str:
    """Store a checked upload in one transaction and return its id; the same upload twice is one indicator.

    Raises UserDataError (store unchanged) when the id is an official indicator's or the write fails.
    """
    if values is None or values.empty:
        raise UserDataError("there are no figures to save; nothing was saved")
    missing = [c for c in VALUE_LAYOUT if c not in values.columns]
    if missing:
        raise UserDataError(f"the values are missing column(s) {', '.join(missing)}; nothing was saved")
    indicator_id = user_indicator_id(meta, values)
    rows = _value_rows(indicator_id, values)
    try:
        ensure_user_tables(engine)
        with engine.begin() as conn:
            if inspect(conn).has_table(Indicator.__tablename__):
                official = conn.execute(select(Indicator.id).where(Indicator.id == indicator_id)).first()
                if official is not None:
                    raise UserDataError(f"'{indicator_id}' is the id of an official indicator; an upload can "
                                        f"never replace official figures. Nothing was saved.")
            existing = conn.execute(select(UserIndicator.id).where(UserIndicator.id == indicator_id)).first()
            if existing is not None:
                return indicator_id  # identical title, unit, source and figures: already stored
            conn.execute(insert(UserIndicator), [{
                "id": indicator_id, "title": meta.title.strip(), "unit": meta.unit.strip(),
                "polarity": meta.polarity, "tier": meta.tier, "source": meta.source.strip(),
                "uploaded_at": datetime.now(UTC).isoformat(timespec="seconds"), "origin": ORIGIN,
            }])
            for i in range(0, len(rows), 5_000):
                conn.execute(insert(UserValue), rows[i : i + 5_000])
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise UserDataError(f"saving the upload failed and was rolled back, so nothing was saved: {detail}") from exc
    return indicator_id


def list_user_indicators(engine: Engine) -> pd.DataFrame:
    """Every stored user indicator, newest first (an empty table when none was ever saved)."""
    if not inspect(engine).has_table(UserIndicator.__tablename__):
        return pd.DataFrame({c: pd.Series(dtype="str") for c in INDICATOR_COLUMNS})
    table = read_table(engine, UserIndicator).loc[:, list(INDICATOR_COLUMNS)]
    return table.sort_values(["uploaded_at", "id"], ascending=[False, True]).reset_index(drop=True)


def user_values(engine: Engine, indicator_id: str) -> pd.DataFrame:
    """One user indicator's figures in the official value layout (indicator_id column included)."""
    if not inspect(engine).has_table(UserValue.__tablename__):
        frame = pd.DataFrame({c: pd.Series(dtype="str") for c in VALUE_COLUMNS})
    else:
        frame = read_table(engine, UserValue, UserValue.user_indicator_id == indicator_id)
        frame = frame.rename(columns={"user_indicator_id": "indicator_id"})
    for col in ("value", "lower", "upper", "numerator", "denominator"):
        frame[col] = frame[col].astype("float64")
    for col in ("status", "note"):
        frame[col] = frame[col].fillna("").astype("str")
    frame = frame.loc[:, list(VALUE_COLUMNS)]
    return frame.sort_values(["area_code", "period_start", "period"]).reset_index(drop=True)


def _reference(engine: Engine | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Councils and lineage from the store when it holds them, else from the shipped data."""
    if engine is not None:
        try:
            names = set(inspect(engine).get_table_names())
            if {Authority.__tablename__, Lineage.__tablename__} <= names:
                authorities = read_table(engine, Authority)
                if len(authorities):
                    return authorities, read_table(engine, Lineage).drop(columns="id")
        except SQLAlchemyError:
            pass
    from lm_core.build import load_processed

    tables = load_processed()
    return tables["authorities"], tables["lineage"]


def load_cli(path: Path, title: str, unit: str, polarity: str, tier: str, source: str, save: bool,
             engine: Engine | None = None) -> tuple[int, str]:
    """Check (and with `save`, store) a CSV file: (0, report) accepted, (1, issues) rejected,
    (2, reason) when the file cannot be opened or the store refuses the save."""
    try:
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            return 1, (f"rejected: {path} is {size / 1024 / 1024:.1f} MB; the limit is "
                       f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB")
        data = path.read_bytes()
    except OSError as exc:
        return 2, f"cannot read {path}: {exc.strerror or exc}"
    meta = UploadMeta(title=title, unit=unit, polarity=polarity, tier=tier, source=source)
    authorities, lineage = _reference(engine)
    report = validate_upload(data, authorities, lineage, meta)
    text = report.summary()
    if not report.ok or report.values is None:
        return 1, text
    if not save:
        return 0, text + "\nnot saved (checked only)"
    try:
        indicator_id = save_user_indicator(engine or get_engine(), meta, report.values)
    except UserDataError as exc:
        return 2, text + f"\nnot saved: {exc}"
    return 0, text + f"\nsaved as {indicator_id} (user-supplied)"
