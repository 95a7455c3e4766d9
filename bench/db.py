"""Database build and read times, SQLite and (when LM_TEST_POSTGRES_URL is set) PostgreSQL.

Run: python bench/db.py [--repeat N]
     LM_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/lm_test python bench/db.py

Prints numbers and asserts nothing. Each time is also given as a ratio to a baseline measured in the
same run: reading data/processed/*.parquet into pandas (what every build starts with), so machines of
different speed, or one machine under other load, can be compared. Measured per backend:
  * build_db into an empty store (the first run of the app, or `python -m lm_core build-db`);
  * ensure_store on a current store (what every new browser session pays once: version and row counts);
  * reading every value back (queries.values_for; the app does it once per process, the compare CLI
    once per call).
PostgreSQL runs in a fresh schema per build (dropped afterwards), so the test database is left as found.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from blank_page import blank_page_ms
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lm_core.build import load_processed
from lm_core.queries import values_for
from lm_core.store import build_db, ensure_store, get_engine


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite'}"


@contextmanager
def postgres_url(server_url: str) -> Iterator[str]:
    """The server's URL pointed at a new, empty schema (dropped on exit)."""
    schema = f"lm_bench_{uuid.uuid4().hex[:8]}"
    admin = get_engine(server_url)
    with admin.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    try:
        url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()


def measure(name: str, store: Callable[[], AbstractContextManager[str]], repeat: int, base: float) -> None:
    builds, checks, reads = [], [], []
    for _ in range(repeat):
        with store() as url:
            engine = get_engine(url)
            builds.append(timed(lambda engine=engine: build_db(engine)))
            checks += [timed(lambda engine=engine: ensure_store(engine)) for _ in range(5)]
            reads.append(timed(lambda engine=engine: values_for(engine)))
            engine.dispose()
    blank = blank_page_ms()
    print(f"\n[{name}]")
    for label, times in (("build_db into an empty store", builds),
                         ("ensure_store on a current store (per session)", checks),
                         ("read every value back (values_for)", reads)):
        med = statistics.median(times)
        print(f"  {label:<48}{med * 1000:9.0f} ms median, best {min(times) * 1000:7.0f} ms   "
              f"x{med / base:5.2f} baseline, x{med * 1000 / blank:6.1f} a blank Streamlit page ({blank:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="builds per backend (default 3)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
          "(times scale with load; see ratios)")
    tables = load_processed()
    rows = {name: len(frame) for name, frame in tables.items()}
    print("rows: " + ", ".join(f"{n} {c:,}" for n, c in rows.items()))
    base = statistics.median(timed(load_processed) for _ in range(5))
    print(f"baseline: read data/processed/*.parquet into pandas: {base * 1000:.0f} ms (median of 5)")
    measure("SQLite file", sqlite_url, args.repeat, base)
    server = os.environ.get("LM_TEST_POSTGRES_URL")
    if server:
        measure("PostgreSQL (psycopg 3, loopback)", lambda: postgres_url(server), args.repeat, base)
    else:
        print("\n(PostgreSQL skipped: set LM_TEST_POSTGRES_URL; .ci/run shows how to start a throwaway server)")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
