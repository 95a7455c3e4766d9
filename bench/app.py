"""The app as a person meets it, in headless Chromium (prints numbers; asserts nothing).

Run: python bench/app.py [--changes N]

Every figure is printed beside its ratio to a baseline measured in the same run, so machines of
different speed, or one machine under other load, can be compared: a tiny Streamlit script
(`st.write("x")` and one selectbox, so that it can rerun) served by the same `streamlit run` flags.
Both servers run on 127.0.0.1, on a free port, over a SQLite store built beforehand (the first-run
build is timed by bench/db.py).

Measured:
  * time to first render: goto -> script finished and a known text shown; the first visit after the
    server starts (cold caches) and the median of later visits (each a new browser context);
  * rerun latency, p50/p95: the UI is driven as a person would (click the picker, type, Enter) and
    timed from Enter until the URL shows the new choice and the script has finished; council
    changes on the council profile, measure changes on its "One measure in depth" tab;
  * map page: first render and the bytes of boundaries fetched from /app/static;
  * websocket bytes the browser received for each first render;
  * server RSS with 10 browser sessions open (10 councils on the council profile), from
    /proc/<pid>/status (VmRSS now, VmHWM peak), psutil not needed;
  * map payload: the size of static/boundaries/*.geojson (raw and gzip).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
BASELINE_SCRIPT = """import streamlit as st
st.write("x")
choice = st.selectbox("Pick", ["one", "two", "three"], key="pick")
st.write(f"chose {choice}")
"""
HOME_COUNCIL = "E07000117"  # Burnley
# Councils whose names type unambiguously into the picker (no other council's name contains them).
COUNCIL_NAMES = ["Hartlepool", "Camden", "Exeter", "Cornwall", "Leeds", "Pendle", "Wigan", "Lambeth", "Rutland",
                 "Hackney", "Stockport", "Norwich", "Torbay", "Luton", "Burnley", "Gateshead", "Islington",
                 "Plymouth", "Swindon", "Sunderland"]
TEN_COUNCILS = ["E07000117", "E10000016", "E06000023", "E09000007", "E08000025", "E07000041", "E10000030",
                "E06000001", "E09000033", "E08000035"]


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]

    def status(self, key: str) -> int:
        """A /proc/<pid>/status field in kB (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(script: Path, cwd: Path, env: dict[str, str]) -> Iterator[Served]:
    """`streamlit run script` on loopback, as the e2e fixture starts it; stopped on exit."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"{script.name} did not start within 60 s") from None
                time.sleep(0.2)
        yield Served(url, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank), so p95 of a short list is its worst but one or so."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def first_render(browser: object, url: str, text: str) -> tuple[float, int, int]:
    """Seconds from goto until the script has finished and `text` shows; websocket and static bytes received."""
    context = browser.new_context(viewport={"width": 1400, "height": 1400})  # type: ignore[attr-defined]
    page = context.new_page()
    received = {"ws": 0, "static": 0}

    def on_ws(ws: object) -> None:
        ws.on("framereceived", lambda payload: received.__setitem__(  # type: ignore[attr-defined]
            "ws", received["ws"] + len(payload)))

    def on_response(response: object) -> None:
        if "/app/static/" in response.url:  # type: ignore[attr-defined]
            with suppress(Exception):  # a response without a body (redirect, 304) carries no bytes
                received["static"] += len(response.body())  # type: ignore[attr-defined]

    page.on("websocket", on_ws)
    page.on("response", on_response)
    started = time.perf_counter()
    page.goto(url)
    page.get_by_text(text).first.wait_for(timeout=180_000)
    page.wait_for_selector(READY, state="attached", timeout=180_000)
    took = time.perf_counter() - started
    if "/map" in url:  # the boundaries arrive after the script: wait until the map is drawn
        page.wait_for_selector("[data-testid='stVegaLiteChart'] path", timeout=120_000)
        page.wait_for_timeout(500)
    context.close()
    return took, received["ws"], received["static"]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def renders(browser: object, url: str, text: str, warm: int) -> dict[str, float]:
    progress(f"first renders of {url}")
    cold, ws_bytes, static_bytes = first_render(browser, url, text)
    again = [first_render(browser, url, text)[0] for _ in range(warm)]
    return {"cold": cold, "warm": statistics.median(again), "ws": ws_bytes, "static": static_bytes}


def pick(page: object, label: str, typed: str, url_has: str = "", text: str = "") -> float:
    """Type into the picker labelled `label`, press Enter; seconds until the URL (or page) shows the new
    choice and the rerun has ended."""
    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first  # type: ignore[attr-defined]
    box.locator("input").click()
    page.keyboard.type(typed)  # type: ignore[attr-defined]
    started = time.perf_counter()
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    if url_has:
        page.wait_for_function("s => decodeURIComponent(location.search).includes(s)", arg=url_has,  # type: ignore[attr-defined]
                               timeout=120_000)
    if text:
        page.get_by_text(text).first.wait_for(timeout=120_000)  # type: ignore[attr-defined]
    page.wait_for_selector(READY, state="attached", timeout=120_000)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def baseline_reruns(browser: object, url: str, n: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1400})  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_selector("[data-testid='stSelectbox']", timeout=60_000)
    page.wait_for_selector(READY, state="attached", timeout=60_000)
    progress("baseline reruns")
    options = ["two", "three", "one"]
    times = []
    for i in range(n):
        times.append(pick(page, "Pick", options[i % 3], text=f"chose {options[i % 3]}"))
    page.close()
    return times


def council_reruns(browser: object, url: str, codes: dict[str, str], n: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1400})  # type: ignore[attr-defined]
    page.goto(f"{url}/council?council={HOME_COUNCIL}")
    page.get_by_text("Compared with similar councils").first.wait_for(timeout=180_000)
    page.wait_for_selector(READY, state="attached", timeout=180_000)
    progress("council reruns")
    times = []
    for name in [n for n in COUNCIL_NAMES if codes.get(n) and codes[n] != HOME_COUNCIL][:n]:
        times.append(pick(page, "Find a council", name, f"council={codes[name]}"))
    page.close()
    return times


def indicator_reruns(browser: object, url: str, measures: list[tuple[str, str]], n: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1400})  # type: ignore[attr-defined]
    page.goto(f"{url}/council?council={HOME_COUNCIL}")
    page.get_by_text("Compared with similar councils").first.wait_for(timeout=180_000)
    page.wait_for_selector(READY, state="attached", timeout=180_000)
    page.get_by_role("tab", name="One measure in depth").click()
    page.get_by_text("Similar councils to talk to").wait_for(timeout=120_000)
    page.wait_for_selector(READY, state="attached", timeout=120_000)
    progress("measure reruns")
    times = []
    for indicator_id, title in measures[1 : n + 1]:  # the first is the default (it leaves the URL bare)
        times.append(pick(page, "Measure", title, f"indicator={indicator_id}"))
    page.close()
    return times


def rss_with_sessions(browser: object, served: Served, pages: list[tuple[str, str]]) -> tuple[int, int]:
    """Server VmRSS (kB) with every page open at once, and its peak so far (VmHWM)."""
    progress(f"{len(pages)} sessions open on {served.url}")
    contexts = []
    for path, text in pages:
        context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(served.url + path)
        contexts.append((context, page, text))
    for _, page, text in contexts:
        page.get_by_text(text).first.wait_for(timeout=240_000)
        page.wait_for_selector(READY, state="attached", timeout=240_000)
    time.sleep(1.0)
    now, peak = served.status("VmRSS"), served.status("VmHWM")
    for context, _, _ in contexts:
        context.close()
    return now, peak


def profile_measures(db_url: str) -> list[tuple[str, str]]:
    """Burnley's measures in the order the Measure picker lists them (from the CLI's JSON)."""
    env = os.environ | {"LM_DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-m", "lm_core", "compare", HOME_COUNCIL, "--json"], cwd=REPO,
                          env=env, capture_output=True, text=True, check=True)
    return [(m["indicator"], m["title"]) for m in json.loads(done.stdout)["measures"]]


def line(label: str, value: float, base: float, unit: str = "s") -> str:
    shown = f"{value:8.2f} {unit}" if unit == "s" else f"{value:8.0f} {unit}"
    return f"  {label:<52}{shown}   x{value / base:6.1f} baseline"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=12, help="reruns timed per kind (default 12)")
    parser.add_argument("--warm", type=int, default=4, help="later visits timed per page (default 4)")
    args = parser.parse_args()
    exe = shutil.which("chromium")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} at start (times scale with load; see ratios)")

    import pandas as pd

    from lm_core.paths import PROCESSED_DIR
    from lm_core.store import build_db, get_engine

    names = pd.read_parquet(PROCESSED_DIR / "authorities.parquet")
    codes = dict(zip(names["area_name"], names["area_code"], strict=True))

    print("\nmap payload (static/boundaries, fetched once per browser session):")
    for path in sorted((REPO / "static" / "boundaries").glob("*.geojson")):
        raw = path.read_bytes()
        print(f"  {path.name:<16} {len(raw) / 1024:7.1f} KB  ({len(gzip.compress(raw)) / 1024:.1f} KB gzipped)")
    if exe is None:
        print("\n(no Debian chromium: browser numbers skipped)")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        build_db(get_engine(db_url))
        measures = profile_measures(db_url)
        env = os.environ | {"LM_DATABASE_URL": db_url}
        blank = Path(tmp) / "blank.py"
        blank.write_text(BASELINE_SCRIPT)
        with serve(blank, Path(tmp), env) as base_srv, serve(REPO / "dashboard.py", REPO, env) as app_srv, \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            base_idle, app_idle = base_srv.status("VmRSS"), app_srv.status("VmRSS")
            base = renders(browser, base_srv.url, "Pick", args.warm)
            home = renders(browser, f"{app_srv.url}/", "Type part of a council", args.warm)
            council = renders(browser, f"{app_srv.url}/council?council={HOME_COUNCIL}",
                              "Compared with similar councils", args.warm)
            map_page = renders(browser, f"{app_srv.url}/map?council={HOME_COUNCIL}", "Map of England", 1)
            base_reruns = baseline_reruns(browser, base_srv.url, args.changes)
            council_times = council_reruns(browser, app_srv.url, codes, args.changes)
            measure_times = indicator_reruns(browser, app_srv.url, measures, args.changes)
            base_rss = rss_with_sessions(browser, base_srv, [("/", "Pick")] * 10)
            app_rss = rss_with_sessions(browser, app_srv, [(f"/council?council={c}", "Compared with similar councils")
                                                           for c in TEN_COUNCILS])
            browser.close()

    print(f"\nbaseline (st.write('x') + one selectbox): first render cold {base['cold']:.2f} s, warm "
          f"{base['warm']:.2f} s; rerun p50 {pct(base_reruns, 50) * 1000:.0f} ms, p95 "
          f"{pct(base_reruns, 95) * 1000:.0f} ms; websocket {base['ws'] / 1024:.1f} KB")
    print("\ntime to first render (goto -> script finished, known text shown):")
    for label, r in (("home page", home), (f"council profile ({HOME_COUNCIL})", council),
                     ("map page", map_page)):
        print(line(f"{label}, first visit after start", r["cold"], base["cold"]))
        print(line(f"{label}, later visits (median)", r["warm"], base["warm"]))
    print("\nbytes received per first render:")
    for label, r in (("home page websocket", home), ("council profile websocket", council),
                     ("map page websocket", map_page)):
        print(line(label, r["ws"] / 1024, base["ws"] / 1024, "KB"))
    print(f"  map page boundaries from /app/static          {map_page['static'] / 1024:8.0f} KB")
    print(f"\nrerun latency (UI driven: click picker, type, Enter -> URL updated and script finished; "
          f"{len(council_times)} council and {len(measure_times)} measure changes):")
    b50, b95 = pct(base_reruns, 50), pct(base_reruns, 95)
    print(line("change council on the profile, p50", pct(council_times, 50), b50))
    print(line("change council on the profile, p95", pct(council_times, 95), b95))
    print(line("change measure (one measure in depth), p50", pct(measure_times, 50), b50))
    print(line("change measure (one measure in depth), p95", pct(measure_times, 95), b95))
    print("\nserver RSS (10 browser sessions open; app: 10 councils on the council profile):")
    print(line("app, idle after start", app_idle / 1024, base_idle / 1024, "MB"))
    print(line("app, 10 sessions open (VmRSS)", app_rss[0] / 1024, base_rss[0] / 1024, "MB"))
    print(line("app, peak during the run (VmHWM)", app_rss[1] / 1024, base_rss[1] / 1024, "MB"))
    print(f"  (baseline: idle {base_idle / 1024:.0f} MB, 10 sessions {base_rss[0] / 1024:.0f} MB)")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
