"""Shared fixtures: the shipped data, engines for SQLite and PostgreSQL, clean Streamlit caches."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from lm_core.paths import PROCESSED_DIR, default_sources_dir
from lm_core.store import build_db, get_engine

SOURCES = default_sources_dir()


def require_sources() -> Path:
    """The official files, or a skip that says where they were looked for."""
    if not SOURCES.is_dir():
        pytest.skip(f"official source files not found at {SOURCES} (set LM_SOURCES)")
    return SOURCES


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A SQLite store loaded from the shipped data/processed."""
    path = tmp_path_factory.mktemp("db") / "lm.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    build_db(engine, PROCESSED_DIR)
    return engine


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL from LM_TEST_POSTGRES_URL; skipped locally without one, required in CI."""
    url = os.environ.get("LM_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("LM_REQUIRE_POSTGRES"):
            pytest.fail("LM_REQUIRE_POSTGRES is set but LM_TEST_POSTGRES_URL is not")
        pytest.skip("no PostgreSQL server: set LM_TEST_POSTGRES_URL (.ci/run starts one)")
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # any driver error means the server is not there
        if os.environ.get("LM_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    finally:
        engine.dispose()
    yield url


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    """Streamlit caches outlive AppTest instances in one process; start each test clean."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
