"""The CLI's JSON (`compare` and `peers`) is byte-identical whether the store is SQLite or PostgreSQL.

Each backend gets a fresh store (a new SQLite file; a new PostgreSQL schema), so the first CLI call
builds it, exactly as a new deployment would. The JSON is rounded in lm_core (`profile._num`,
`peer_groups.to_json`) so that float round-off between drivers cannot show; this test is what keeps
that promise honest.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lm_core.store import get_engine

pytestmark = pytest.mark.postgres
REPO = Path(__file__).resolve().parents[2]
SAMPLE = {
    "E07000117": "district (Burnley)",
    "E10000016": "county (Kent)",
    "E06000023": "unitary (Bristol)",
    "E09000007": "London borough (Camden)",
}
COMMANDS = ("compare", "peers")


# One process per backend runs the CLI entry point once per call, capturing each call's stdout: the
# same code path as `python -m lm_core ... --json` without paying the ~3 s import 16 times.
DRIVER = """
import contextlib, io, json, sys
from lm_core.__main__ import main
out = {}
for args in json.loads(sys.argv[1]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(args)
    if code != 0:
        sys.exit(f"{args} exited {code}")
    out[" ".join(args)] = buf.getvalue()
sys.stdout.write(json.dumps(out))
"""


def cli_outputs(url: str, calls: list[list[str]]) -> dict[str, str]:
    """Each call's stdout, in order, from one process with LM_DATABASE_URL=url (the first call builds the store)."""
    env = os.environ | {"LM_DATABASE_URL": url, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(calls)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"CLI on {url.split(':')[0]} failed: {done.stderr[-2000:]}"
    return dict(json.loads(done.stdout))


@pytest.fixture()
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """The test server's URL pointed at a new, empty schema (dropped afterwards)."""
    schema = f"lm_parity_{uuid.uuid4().hex[:8]}"
    admin = get_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f"create schema {schema}"))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"drop schema {schema} cascade"))
        admin.dispose()


def test_cli_json_identical_on_sqlite_and_postgresql(postgres_schema_url: str, tmp_path: Path) -> None:
    urls = {"sqlite": f"sqlite:///{tmp_path / 'parity.sqlite'}", "postgresql": postgres_schema_url}
    calls = [[cmd, code, "--json"] for cmd in COMMANDS for code in SAMPLE]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(cli_outputs, url, calls) for name, url in urls.items()}
        outputs = {name: f.result() for name, f in futures.items()}

    differences = []
    for call in calls:
        key = " ".join(call)
        lite, pg = outputs["sqlite"][key], outputs["postgresql"][key]
        assert lite.startswith("{") and lite.endswith("}\n"), f"{key} printed no JSON on SQLite"
        if lite != pg:
            diff = difflib.unified_diff(lite.splitlines(), pg.splitlines(), "sqlite", "postgresql", lineterm="", n=1)
            differences.append(f"{key} ({SAMPLE[call[1]]}):\n" + "\n".join(list(diff)[:40]))
    assert not differences, "CLI JSON differs between SQLite and PostgreSQL:\n" + "\n\n".join(differences)
