"""Faults a deployment meets: an interrupted build, a read-only data folder, a wrong LM_DATABASE_URL.

Each must end in a clear message (CLI: exit code and one line on stderr; app: `st.error`), never a
traceback, and a broken store must be rebuilt by the next `ensure_store`.

Read-only folders: the tests run as root, which `chmod` does not stop, so a real read-only bind mount
is made inside a private mount namespace (`unshare -m`, skipped where that is not allowed), and a
regular file standing where the folder should be simulates a folder that cannot be created.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lm_core.build import load_processed, read_manifest
from lm_core.store import build_db, ensure_store, get_engine, stored_version
from tests.unit.test_parity import postgres_schema_url  # noqa: F401 - a fixture shared with the parity test

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret-Pa55"
# A closed port on loopback: the connection is refused at once, no network involved.
WRONG_URL = f"postgresql+psycopg://level:{PASSWORD}@127.0.0.1:1/level_measures"
TABLE_ROWS = {"authority": "authorities", "lineage": "lineage", "indicator": "indicators",
              "indicator_value": "values"}
RO_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
APPTEST = """
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=90)
if sys.argv[2] != "pages/home.py":
    at.switch_page(sys.argv[2])
for key, value in json.loads(sys.argv[3]).items():
    at.query_params[key] = value
at.run()
print(json.dumps({"errors": [e.value for e in at.error], "exceptions": [e.value for e in at.exception],
                  "titles": [t.value for t in at.title]}))
"""


def cli(*args: str, url: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"LM_DATABASE_URL": url, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "lm_core", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def assert_clear_failure(done: subprocess.CompletedProcess[str], *must_name: str) -> None:
    """Exit code 1 or 2, no traceback, a short stderr naming what is wrong, never the password."""
    assert "Traceback" not in done.stderr, done.stderr[-1500:]
    assert done.returncode in (1, 2), (done.returncode, done.stderr[-500:])
    assert PASSWORD not in done.stderr + done.stdout
    for word in must_name:
        assert word in done.stderr, f"{word!r} not in {done.stderr!r}"


def run_app(url: str, monkeypatch: pytest.MonkeyPatch, page: str = "pages/home.py",
            params: dict[str, str] | None = None) -> AppTest:
    monkeypatch.setenv("LM_DATABASE_URL", url)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
    if page != "pages/home.py":
        at.switch_page(page)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLE_ROWS}


@pytest.fixture(scope="module")
def expected_counts() -> dict[str, int]:
    tables = load_processed()
    return {t: len(tables[name]) for t, name in TABLE_ROWS.items()}


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete, current SQLite store, built once and copied by each test that damages one."""
    path = tmp_path_factory.mktemp("faults") / "built.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    build_db(engine)
    engine.dispose()
    return path


# --- 1. interrupted build ----------------------------------------------------------------------------

def kill_build_midway(url: str) -> None:
    """Start `python -m lm_core build-db`, SIGKILL it while it is loading the values table."""
    env = os.environ | {"LM_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "lm_core", "build-db"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "loading values" in line:
            time.sleep(0.5)  # well inside the ~5 s values load
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the build was not interrupted midway: {''.join(seen)[-500:]}"


def test_build_killed_midway_on_a_fresh_store_is_rebuilt(tmp_path: Path, expected_counts: dict[str, int]) -> None:
    path = tmp_path / "lm.sqlite"
    url = f"sqlite:///{path}"
    kill_build_midway(url)
    engine = get_engine(url)
    assert stored_version(engine) is None  # nothing half-loaded is taken for a store
    assert ensure_store(engine) is True
    assert stored_version(engine) == read_manifest()["data_version"]
    assert counts(path) == expected_counts
    with sqlite3.connect(path) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert ensure_store(engine) is False  # and once is enough
    engine.dispose()


def test_rebuild_killed_midway_keeps_the_old_store_then_rebuilds(tmp_path: Path, built_store: Path,
                                                                 expected_counts: dict[str, int]) -> None:
    path = tmp_path / "lm.sqlite"
    shutil.copy(built_store, path)
    with sqlite3.connect(path) as conn:
        conn.execute("update store_meta set value = 'older-data' where key = 'data_version'")
    url = f"sqlite:///{path}"
    kill_build_midway(url)
    engine = get_engine(url)
    # The load is one transaction: the killed rebuild left the previous contents whole.
    assert stored_version(engine) == "older-data"
    assert counts(path) == expected_counts
    assert ensure_store(engine) is True
    assert stored_version(engine) == read_manifest()["data_version"]
    assert counts(path) == expected_counts
    engine.dispose()


def test_store_emptied_behind_its_back_is_rebuilt(tmp_path: Path, built_store: Path,
                                                   expected_counts: dict[str, int]) -> None:
    path = tmp_path / "lm.sqlite"
    shutil.copy(built_store, path)
    with sqlite3.connect(path) as conn:
        conn.execute("delete from indicator_value")
    engine = get_engine(f"sqlite:///{path}")
    assert ensure_store(engine) is True
    assert counts(path) == expected_counts
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_replicas_starting_together_build_the_store_once(backend: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    """Sessions or replicas starting on an empty store: one builds, the others wait for it and use it."""
    url = (f"sqlite:///{tmp_path / 'lm.sqlite'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))  # a fresh, empty schema
    start = threading.Barrier(3)

    def start_replica() -> bool:
        engine = get_engine(url)
        try:
            start.wait()
            return ensure_store(engine)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(start_replica) for _ in range(3)]
        results = [f.exception() or f.result() for f in futures]
    assert results.count(True) == 1 and results.count(False) == 2, results
    engine = get_engine(url)
    assert stored_version(engine) == read_manifest()["data_version"]
    engine.dispose()

# --- 2. read-only data folder ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def readonly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that can be made read-only for one command (root ignores chmod; a ro bind mount stops it)."""
    folder = tmp_path_factory.mktemp("readonly")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", RO_MOUNT, str(folder), "sh", "-c",
                            f"! touch {folder}/probe"], capture_output=True, text=True, check=False)
    if probe.returncode != 0 or (folder / "probe").exists():
        pytest.skip(f"cannot make a read-only bind mount here (unshare -m): {probe.stderr.strip()[:200]}")
    return folder


def run_readonly(folder: Path, argv: list[str], url: str) -> subprocess.CompletedProcess[str]:
    """Run argv with `folder` mounted read-only for that process only."""
    env = os.environ | {"LM_DATABASE_URL": url, "OMP_NUM_THREADS": "1"}
    return subprocess.run(["unshare", "-m", "sh", "-c", RO_MOUNT, str(folder), *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


def app_readonly(folder: Path, url: str, page: str = "pages/home.py",
                 params: dict[str, str] | None = None) -> dict[str, list[str]]:
    done = run_readonly(folder, [sys.executable, "-c", APPTEST, str(REPO / "dashboard.py"), page,
                                 json.dumps(params or {})], url)
    assert done.returncode == 0, done.stderr[-1500:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_cli_build_into_readonly_folder_says_so(readonly_dir: Path) -> None:
    url = f"sqlite:///{readonly_dir / 'lm.sqlite'}"
    done = run_readonly(readonly_dir, [sys.executable, "-m", "lm_core", "build-db"], url)
    assert_clear_failure(done, "build-db:", str(readonly_dir / "lm.sqlite"))


def test_app_on_readonly_folder_shows_a_clear_error(readonly_dir: Path) -> None:
    shown = app_readonly(readonly_dir, f"sqlite:///{readonly_dir / 'lm.sqlite'}")
    assert not shown["exceptions"], shown["exceptions"]
    assert len(shown["errors"]) == 1 and "database could not be opened" in shown["errors"][0]
    assert str(readonly_dir / "lm.sqlite") in shown["errors"][0]


@pytest.fixture()
def readonly_built(readonly_dir: Path, built_store: Path) -> Path:
    """A complete, current store in the read-only folder (an image with the database baked in)."""
    path = readonly_dir / "baked.sqlite"
    shutil.copy(built_store, path)
    return path


def test_prebuilt_store_in_readonly_folder_serves_pages(readonly_dir: Path, readonly_built: Path) -> None:
    shown = app_readonly(readonly_dir, f"sqlite:///{readonly_built}", params={"council": "E07000117"})
    assert not shown["exceptions"] and not shown["errors"], shown
    assert shown["titles"] == ["Level Measures"]


def test_peers_on_prebuilt_readonly_store(readonly_dir: Path, readonly_built: Path) -> None:
    url = f"sqlite:///{readonly_built}"
    done = run_readonly(readonly_dir, [sys.executable, "-m", "lm_core", "peers", "E07000117", "--json"], url)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-1000:]
    shown = app_readonly(readonly_dir, url, "pages/peers.py", {"council": "E07000117"})
    assert not shown["exceptions"] and not shown["errors"], shown


@pytest.fixture()
def uncreatable_url(tmp_path: Path) -> str:
    """A SQLite URL whose folder cannot be created: a regular file stands where the folder should be."""
    (tmp_path / "data").write_text("not a folder")
    return f"sqlite:///{tmp_path / 'data' / 'lm.sqlite'}"


def test_cli_folder_cannot_be_created_says_so(uncreatable_url: str) -> None:
    assert_clear_failure(cli("build-db", url=uncreatable_url), "build-db:", "lm.sqlite")


def test_app_folder_cannot_be_created_shows_a_clear_error(uncreatable_url: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(uncreatable_url, monkeypatch)
    assert not at.exception
    assert len(at.error) == 1
    assert "cannot create the folder for" in at.error[0].value
    assert uncreatable_url in at.error[0].value


# --- 3. wrong LM_DATABASE_URL ------------------------------------------------------------------------

def test_cli_wrong_database_url_names_the_problem_hides_the_password() -> None:
    # build-db (not compare) only to keep the test quick: every command reaches the store through the
    # same get_engine/ensure_store path, and compare/peers print the same message with their own prefix.
    done = cli("build-db", url=WRONG_URL, timeout=60)
    assert_clear_failure(done, "build-db:", "level:***@127.0.0.1:1", "Connection refused")


@pytest.mark.parametrize(("url", "named"), [
    (WRONG_URL, ["level:***@127.0.0.1:1", "Connection refused"]),
    (f"postgres://level:{PASSWORD}@127.0.0.1:1/level_measures", ["no database driver", "level:***@"]),
    (f"not a url {PASSWORD}", ["not a database URL"]),
])
def test_app_wrong_database_url_names_the_problem_hides_the_password(
        url: str, named: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(url, monkeypatch)
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert PASSWORD not in message
    for word in named:
        assert word in message, message
