"""The SQL store: typed SQLAlchemy models, an engine from a URL, and an all-or-nothing load."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    Boolean,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lm_core.build import load_processed, read_manifest
from lm_core.paths import DATA_DIR, PROCESSED_DIR

try:
    import fcntl
except ImportError:  # Windows: SQLite builds are not serialised there
    fcntl = None  # type: ignore[assignment]

DEFAULT_DB_PATH = DATA_DIR / "level_measures.sqlite"
SCHEMA_VERSION = "1"


class Base(DeclarativeBase):
    """Declarative base for every table in the store."""


class Authority(Base):
    __tablename__ = "authority"
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    area_name: Mapped[str] = mapped_column(String(120))
    official_name: Mapped[str] = mapped_column(String(200))
    type_code: Mapped[str] = mapped_column(String(8))
    type_name: Mapped[str] = mapped_column(String(60))
    tier: Mapped[str] = mapped_column(String(40))
    is_lower: Mapped[bool] = mapped_column(Boolean)
    is_upper: Mapped[bool] = mapped_column(Boolean)
    region: Mapped[str] = mapped_column(String(60))
    county_code: Mapped[str] = mapped_column(String(9))
    county_name: Mapped[str] = mapped_column(String(120))
    ca_code: Mapped[str] = mapped_column(String(9))
    ca_name: Mapped[str] = mapped_column(String(120))
    population_2020: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_km2: Mapped[float | None] = mapped_column(Float, nullable=True)
    predecessors: Mapped[str] = mapped_column(Text)


class Lineage(Base):
    __tablename__ = "lineage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    old_code: Mapped[str] = mapped_column(String(9), index=True)
    old_name: Mapped[str] = mapped_column(String(120))
    new_code: Mapped[str] = mapped_column(String(9), index=True)
    new_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12))
    effective: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)


class Indicator(Base):
    __tablename__ = "indicator"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    service_area: Mapped[str] = mapped_column(String(60), index=True)
    unit: Mapped[str] = mapped_column(String(60))
    polarity: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(10))
    tier: Mapped[str] = mapped_column(String(8))
    publisher: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str] = mapped_column(Text)
    licence: Mapped[str] = mapped_column(String(40))
    attribution: Mapped[str] = mapped_column(Text)
    caveats: Mapped[str] = mapped_column(Text)
    source_folder: Mapped[str] = mapped_column(String(80))
    rollup: Mapped[str] = mapped_column(String(10))
    decimals: Mapped[int] = mapped_column(Integer)
    periods: Mapped[str] = mapped_column(Text)
    first_period: Mapped[str] = mapped_column(String(40))
    latest_period: Mapped[str] = mapped_column(String(40))
    latest_start: Mapped[str] = mapped_column(String(10))
    coverage_lower: Mapped[int] = mapped_column(Integer)
    coverage_upper: Mapped[int] = mapped_column(Integer)
    has_interval: Mapped[bool] = mapped_column(Boolean)
    has_denominator: Mapped[bool] = mapped_column(Boolean)


class Value(Base):
    __tablename__ = "indicator_value"
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicator.id"), primary_key=True, index=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_start: Mapped[str] = mapped_column(String(10))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper: Mapped[float | None] = mapped_column(Float, nullable=True)
    numerator: Mapped[float | None] = mapped_column(Float, nullable=True)
    denominator: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(1))
    note: Mapped[str] = mapped_column(Text)


class Meta(Base):
    """Key/value facts about the load; `data_version` is written last, inside the same transaction."""

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PeerSet(Base):
    """A peer definition as it was computed: enough to recompute it exactly, under a short hash."""

    __tablename__ = "peer_set"
    hash: Mapped[str] = mapped_column(String(16), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(9), index=True)
    tier: Mapped[str] = mapped_column(String(8))
    lens: Mapped[str] = mapped_column(String(40))
    k: Mapped[int] = mapped_column(Integer)
    method_version: Mapped[str] = mapped_column(String(20))
    variables: Mapped[str] = mapped_column(Text)  # JSON list
    weights: Mapped[str] = mapped_column(Text)  # JSON object
    data_version: Mapped[str] = mapped_column(String(16))


class PeerMember(Base):
    __tablename__ = "peer_member"
    hash: Mapped[str] = mapped_column(ForeignKey("peer_set.hash"), primary_key=True)
    peer_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # order of likeness, not of performance
    similarity: Mapped[float] = mapped_column(Float)
    stability: Mapped[float] = mapped_column(Float)


TABLES: tuple[tuple[str, type[Base]], ...] = (
    ("authorities", Authority), ("lineage", Lineage), ("indicators", Indicator), ("values", Value),
)


class StoreError(Exception):
    """The database cannot be reached or built; the message never shows a password."""


def database_url() -> str:
    """$LM_DATABASE_URL, else the SQLite file under data/."""
    return os.environ.get("LM_DATABASE_URL") or f"sqlite:///{DEFAULT_DB_PATH}"


def safe_url(url: str) -> str:
    """The URL as it can be shown to a person: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def get_engine(url: str | None = None) -> Engine:
    """An engine for the URL; SQLite files get their folder created."""
    url = url or database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"LM_DATABASE_URL is not a database URL: {safe_url(url)}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for {safe_url(url)}: {exc.strerror or exc}") from exc
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"no database driver for {safe_url(url)} ({exc})") from exc


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as plain Python values with NaN as NULL (never as 0); column-wise for speed."""
    names = [str(c) for c in frame.columns]
    columns = []
    for c in frame.columns:
        col = frame[c]
        plain = col.astype(object).where(col.notna(), None).tolist()
        columns.append([v.item() if hasattr(v, "item") else v for v in plain])
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _chunks(rows: list[dict[str, object]], size: int = 20_000) -> Iterable[list[dict[str, object]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def build_db(engine: Engine, processed_dir: Path = PROCESSED_DIR,
             progress: Callable[[float, str], None] | None = None) -> str:
    """Replace the store's contents with data/ in one transaction; returns the data version.

    A failure anywhere rolls back, so the previous contents stay exactly as they were.
    """
    tables = load_processed(processed_dir)
    manifest = read_manifest(processed_dir)
    version = str(manifest["data_version"])
    step = progress or (lambda _f, _m: None)
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as conn:
            for model in (Value, Indicator, Lineage, Authority, Meta):
                conn.execute(delete(model))
            for i, (name, table_model) in enumerate(TABLES):
                step(i / len(TABLES), f"loading {name}")
                columns = [c.key for c in inspect(table_model).columns if c.key != "id" or name != "lineage"]
                rows = _records(tables[name].loc[:, [c for c in columns if c in tables[name].columns]])
                for chunk in _chunks(rows):
                    conn.execute(insert(table_model), chunk)
            counts = [{"key": f"rows_{model.__tablename__}", "value": str(len(tables[name]))}
                      for name, model in TABLES]
            conn.execute(insert(Meta), [{"key": "schema_version", "value": SCHEMA_VERSION}, *counts,
                                        {"key": "data_version", "value": version}])
        step(1.0, "done")
    except OperationalError as exc:
        raise StoreError(f"cannot write to {safe_url(str(engine.url))}: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StoreError(f"load into {safe_url(str(engine.url))} failed and was rolled back: {detail}") from exc
    return version


def stored_version(engine: Engine) -> str | None:
    """The data version the store holds, or None when it is empty, partial or unreachable."""
    try:
        with engine.connect() as conn:
            meta = {str(k): str(v) for k, v in conn.execute(select(Meta.key, Meta.value))}
            if "data_version" not in meta:
                return None
            # A table emptied or cut short behind the store's back is noticed, not trusted.
            for _, model in TABLES:
                wanted = meta.get(f"rows_{model.__tablename__}")
                if wanted is not None and conn.execute(select(func.count()).select_from(model)).scalar_one() \
                        != int(wanted):
                    return None
    except SQLAlchemyError:
        return None
    return str(meta["data_version"])


# Any constant shared by every process that builds this store; "LM" in ASCII.
_PG_BUILD_LOCK = 0x4C4D


@contextmanager
def _build_lock(engine: Engine) -> Iterator[None]:
    """One builder at a time across processes and threads: sessions or replicas that start together on an
    empty store would otherwise all build it (PostgreSQL: duplicate keys; SQLite: 'database is locked')."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        conn: Connection | None = None
        try:
            conn = engine.connect()
            conn.execute(text("select pg_advisory_lock(:k)"), {"k": _PG_BUILD_LOCK})
        except SQLAlchemyError:
            if conn is not None:
                conn.close()
            yield  # unreachable server: build_db turns the same failure into a clear StoreError
            return
        with conn:
            try:
                yield
            finally:
                conn.execute(text("select pg_advisory_unlock(:k)"), {"k": _PG_BUILD_LOCK})
                conn.commit()
        return
    database = engine.url.database
    if backend != "sqlite" or not database or database == ":memory:" or fcntl is None:
        yield
        return
    try:
        handle = open(f"{database}.lock", "a+b")  # noqa: SIM115 - held for the whole build, closed below
    except OSError:
        yield  # a read-only folder: nobody can build here, and build_db says so clearly
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ensure_store(engine: Engine, processed_dir: Path = PROCESSED_DIR,
                 progress: Callable[[float, str], None] | None = None) -> bool:
    """Build the store when it is missing, partial or older than data/; True when this call built it."""
    wanted = str(read_manifest(processed_dir)["data_version"])
    if stored_version(engine) == wanted:
        return False
    with _build_lock(engine):
        if stored_version(engine) == wanted:  # another process built it while we waited
            return False
        build_db(engine, processed_dir, progress)
    return True


def read_table(engine: Engine, model: type[Base], where: object | None = None) -> pd.DataFrame:
    """A whole table (optionally filtered) as a DataFrame, NULLs as NaN."""
    stmt = select(*inspect(model).columns)
    if where is not None:
        stmt = stmt.where(where)  # type: ignore[arg-type]
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn)
