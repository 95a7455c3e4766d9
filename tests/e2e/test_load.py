"""Bounded load on loopback: 20 concurrent headless-browser sessions, each touring every page.

One Chromium, 20 browser contexts driven with asyncio; one `streamlit run dashboard.py` on 127.0.0.1
over a SQLite store built once beforehand, started as docs/deployment.md says to run it in production
(`--server.fileWatcherType none`: the default watcher re-scans every imported module after each run and
doubles the server's CPU per page). Session i enters at the i-th page registered in dashboard.py by its
deep link with `?council=CODE` (a new Streamlit session, as from a shared link; so two or three sessions
open each page by deep link at once), then goes round every other page through the sidebar, as a
person clicks through (reruns of the same session; by deep link where a page hides the sidebar),
waiting each time until the script has finished and the page's heading shows. Passes when no page
shows an exception or an error box and the server log holds no traceback or
error. Prints the page times, the CPU used by the server and by Chromium, and the server's peak RSS.

Before the tour, on the same server while it is new, a test opens a deep link to every page at the same
moment: the first seconds after a deploy, when every open browser reconnects.

Locally: LM_LOAD_SESSIONS=5 for a lighter run.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import CHROMIUM_ARGS, READY, SHOTS, RunningApp, chromium_path, running_app

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "dashboard.py"
SESSIONS = int(os.environ.get("LM_LOAD_SESSIONS", "20"))  # 20 in CI; fewer to explore locally
TOTAL_TIMEOUT_S = 420  # the load phase; measured ~200 s for 20 sessions on an idle 2-core machine
PAGE_TIMEOUT_MS = 120_000  # one wait outside the tour (warm-up, the deep links opened together)
# One visit of the tour, from click or link to its heading drawn. Under this load a page takes ~13 s (median)
# and a council's first profile and pack, opened cold at the first second by two sessions at once, ~105 s.
PAGE_BUDGET_S = 180
PLACEHOLDER = "This page is being built"
PROBLEM_ELEMENTS = ("stException", "stAlertContentError")
HOME = "home"  # the default page: served at "/", linked there by the sidebar; /home is an alias for it
# Five councils of every kind (district, county, unitary, London and metropolitan borough), four sessions
# each: a committee looking at a few councils. Twenty *different* councils at once is a capacity question
# (each new council profile costs the server ~4 s of CPU under one GIL; see docs/performance.md).
COUNCILS = ["E07000117", "E10000016", "E06000023", "E09000007", "E08000025"]
LOG_PROBLEM = re.compile(r"Traceback|Error|Exception")


def registered_pages() -> list[str]:
    """Every page the sidebar shows, by the name a deep link uses, in dashboard.py's order (new pages join the
    tour by themselves); the default page is visited by its alias /home, so the alias is tested too."""
    paths = []
    for args in re.findall(r"st\.Page\(([^)]*)\)", DASHBOARD.read_text()):
        if 'visibility="hidden"' in args:
            continue
        named = re.search(r"url_path=\"([^\"]+)\"", args)
        if "default=True" in args:
            paths.append(HOME)
        elif named:
            paths.append(named.group(1))
    assert paths, "no st.Page(..., url_path=...) found in dashboard.py"
    return paths


@dataclass(frozen=True)
class Visit:
    """One page drawn: how it was reached, and when (perf_counter seconds) it started, showed its address,
    showed its heading and finished."""

    page: str
    how: str
    started: float
    opened: float
    heading: float
    finished: float

    @property
    def seconds(self) -> float:
        return self.finished - self.started


@dataclass
class Tour:
    """What one browser session saw."""

    council: str
    visits: list[Visit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> dict[str, float]:
        """Seconds each page took to draw, by page."""
        return {v.page: v.seconds for v in self.visits}


def status(app: RunningApp, key: str) -> int:
    """A /proc/<pid>/status field in kB (VmRSS, VmHWM); psutil is not needed."""
    for line in Path(f"/proc/{app.proc.pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(app: RunningApp) -> float:
    """User + system CPU the server has used so far."""
    fields = Path(f"/proc/{app.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> tuple[int, int]:
    """The whole machine's (busy, total) CPU ticks since boot, from /proc/stat: Chromium's renderers are not all
    reaped by its driver, so their CPU is counted here rather than as our children's."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def log_problems(app: RunningApp) -> list[str]:
    return [line for line in app.log.read_text(errors="replace").splitlines() if LOG_PROBLEM.search(line)]


class RssSampler(threading.Thread):
    """Samples the server's resident set size (kB) every 0.25 s until stopped."""

    def __init__(self, server: RunningApp) -> None:
        super().__init__(daemon=True)
        self.server, self.samples, self.stopped = server, [], threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.25):
            try:
                self.samples.append(status(self.server, "VmRSS"))
            except OSError:
                return


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite store for every server in this module, built once."""
    from lm_core.store import build_db, get_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('load') / 'lm.sqlite'}"
    engine = get_engine(url)
    build_db(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def app_server(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app as docs/deployment.md runs it in production (no file watcher), started for this module."""
    with running_app(db_url, tmp_path_factory.mktemp("load-log"), "--server.fileWatcherType", "none") as app:
        yield app


async def problems_on(page: object, url: str) -> list[str]:
    found = []
    for testid in PROBLEM_ELEMENTS:
        hits = page.locator(f"[data-testid='{testid}']")  # type: ignore[attr-defined]
        if await hits.count():
            found.append(f"{url}: {testid}: {' '.join((await hits.first.inner_text()).split())[:300]}")
    if "This app has encountered an error" in await page.locator("body").inner_text():  # type: ignore[attr-defined]
        found.append(f"{url}: the app has encountered an error")
    return found


def left_ms(deadline: float) -> float:
    """What is left of a visit's budget, for Playwright's timeout (at least 1 ms: 0 would mean no limit)."""
    return max(1.0, (deadline - time.perf_counter()) * 1000)


async def settle(page: object, deadline: float) -> float:
    """Wait until the script has finished and the page's heading shows; returns when the heading showed."""
    await page.wait_for_selector(READY, state="attached", timeout=left_ms(deadline))  # type: ignore[attr-defined]
    await page.locator("[data-testid='stMain'] h1").first.wait_for(timeout=left_ms(deadline))  # type: ignore[attr-defined]
    heading = time.perf_counter()
    await page.wait_for_selector(READY, state="attached", timeout=left_ms(deadline))  # type: ignore[attr-defined]
    return heading


async def visit(page: object, base: str, name: str, first: bool, tour: Tour) -> None:
    """The first page by its deep link (a new session), the others through the sidebar (the same session),
    or by deep link when the sidebar is hidden."""
    started = time.perf_counter()
    deadline = started + PAGE_BUDGET_S
    how = "deep link (new session)" if first else "sidebar"
    url = f"{base}/{name}?council={tour.council}"
    link = page.locator(f"[data-testid='stSidebarNav'] a[href$='/{'' if name == HOME else name}']")  # type: ignore[attr-defined]
    clicked = False
    if not first and await link.is_visible():
        try:
            await link.click(timeout=10_000)
            clicked = True
        except PlaywrightTimeout:  # the page hid its sidebar after we looked (Present does, for projection)
            pass
    if not clicked:
        how = how if first else "deep link (sidebar hidden)"
        await page.goto(url, wait_until="commit", timeout=left_ms(deadline))  # type: ignore[attr-defined]
    else:
        await page.wait_for_function("p => location.pathname.replace(/\\/$/, '').endsWith(p)",  # type: ignore[attr-defined]
                                     arg="" if name == HOME else "/" + name, timeout=left_ms(deadline))
    opened = time.perf_counter()
    await page.wait_for_selector(READY, state="attached", timeout=left_ms(deadline))  # type: ignore[attr-defined]
    if PLACEHOLDER in await page.locator("body").inner_text():  # type: ignore[attr-defined]
        tour.placeholders.append(name)
        return
    heading = await settle(page, deadline)
    tour.visits.append(Visit(name, how, started, opened, heading, time.perf_counter()))
    tour.problems += await problems_on(page, url if first else f"{base}/{name} (sidebar)")


async def one_session(browser: object, base: str, tour: Tour, entry: int) -> None:
    """Enter at the entry-th page by its deep link (as from a shared link), then go round every other page."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")  # type: ignore[attr-defined]
    page = await context.new_page()
    pages = registered_pages()
    order = pages[entry % len(pages):] + pages[: entry % len(pages)]
    try:
        for i, name in enumerate(order):
            try:
                await visit(page, base, name, i == 0, tour)
            except Exception as exc:  # a timeout or a broken page is a finding, not a crash of the harness
                try:
                    shown = " ".join((await page.locator("body").inner_text(timeout=5_000)).split())[:300]
                except Exception:  # the page itself may be gone
                    shown = "?"
                try:
                    SHOTS.mkdir(exist_ok=True)
                    await page.screenshot(path=str(SHOTS / f"load-problem-{tour.council}-{name}.png"))
                except Exception:
                    pass
                lines = str(exc).splitlines()  # Playwright's call log ends with why the action waited
                tour.problems.append(f"/{name}: {type(exc).__name__}: {lines[0][:200]} "
                                     f"[{' | '.join(x.strip() for x in lines[-3:])[:400]}] [page shows: {shown[:120]}]")
    finally:
        await context.close()


async def run_load(base: str, tours: list[Tour]) -> float:
    """Warm the server with one visit, then run every session at once; a timeout still shows how far each got."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            # One visit first, so this test measures load, not the start-up race (tested on its own below).
            warm = await browser.new_page()
            await warm.goto(base + "/", timeout=PAGE_TIMEOUT_MS)
            await warm.wait_for_selector(READY, state="attached", timeout=PAGE_TIMEOUT_MS)
            await warm.close()
            started = time.perf_counter()
            await asyncio.wait_for(asyncio.gather(*(one_session(browser, base, t, i) for i, t in enumerate(tours))),
                                   TOTAL_TIMEOUT_S)
        except TimeoutError:
            for t in tours:
                if len(t.seconds) + len(t.placeholders) < len(registered_pages()):
                    t.problems.append(f"{t.council}: tour unfinished after {TOTAL_TIMEOUT_S} s "
                                      f"(done: {', '.join(t.seconds) or 'nothing'})")
        finally:
            await browser.close()
        return time.perf_counter() - started


def test_tour_covers_the_pages_dashboard_registers() -> None:
    assert {"home", "council", "peers", "explorer", "map", "upload", "data"} <= set(registered_pages())


def test_deep_links_opened_together_right_after_start(app_server: RunningApp) -> None:
    """After a restart every open browser reconnects at once, each to its own deep link (runs first, on the
    module's server while it is new)."""
    chromium_path()
    pages = registered_pages()

    async def open_together(base: str) -> list[str]:
        from playwright.async_api import async_playwright

        async def one(browser: object, name: str) -> list[str]:
            context = await browser.new_context()  # type: ignore[attr-defined]
            page = await context.new_page()
            url = f"{base}/{name}?council=E07000117"
            try:
                await page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
                await page.wait_for_selector(READY, state="attached", timeout=PAGE_TIMEOUT_MS)
                await page.wait_for_timeout(300)
                return await problems_on(page, url)
            finally:
                await context.close()

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                found = await asyncio.wait_for(asyncio.gather(*(one(browser, n) for n in pages)), 120)
            finally:
                await browser.close()
        return [f for page_found in found for f in page_found]

    problems = asyncio.run(open_together(app_server.url))
    assert not problems, "\n".join(problems)
    assert not log_problems(app_server), "\n".join(log_problems(app_server)[:20])


def test_twenty_sessions_tour_every_page(app_server: RunningApp) -> None:
    chromium_path()
    tours = [Tour(COUNCILS[i % len(COUNCILS)]) for i in range(SESSIONS)]
    server = app_server
    sampler = RssSampler(server)
    idle_rss, cpu_before, children_before = status(server, "VmRSS"), cpu_seconds(server), os.times()
    busy_before, total_before = cpu_ticks()
    sampler.start()
    try:
        wall = asyncio.run(run_load(server.url, tours))
    finally:
        sampler.stopped.set()
        sampler.join()
    peak_rss = max([*sampler.samples, status(server, "VmHWM")])
    server_cpu = cpu_seconds(server) - cpu_before
    # Chromium and its driver are reaped once asyncio.run returns: their CPU shows as our children's.
    after = os.times()
    browser_cpu = (after.children_user + after.children_system
                   - children_before.children_user - children_before.children_system)
    driver_cpu = after.user + after.system - children_before.user - children_before.system  # this process
    busy_after, total_after = cpu_ticks()
    busy = (busy_after - busy_before) / max(1, total_after - total_before)
    server_problems = log_problems(server)

    pages = registered_pages()
    times = [s for t in tours for s in t.seconds.values()]
    visited = len(times)
    print(f"\n{SESSIONS} sessions x {len(pages)} pages: {visited} pages drawn in {wall:.0f} s; page time "
          f"median {statistics.median(times) if times else float('nan'):.1f} s, max {max(times, default=0):.1f} s")
    for name in pages:
        per = [t.seconds[name] for t in tours if name in t.seconds]
        if per:
            print(f"  /{name:<12} median {statistics.median(per):5.1f} s  max {max(per):5.1f} s")
    print(f"CPU during the load: server {server_cpu:.0f} s, Chromium and its driver {browser_cpu:.0f} s, "
          f"this test's asyncio client {driver_cpu:.0f} s, in {wall:.0f} s wall on "
          f"{os.cpu_count()} cores; the machine was busy {busy:.0%} of the time (load average now "
          f"{os.getloadavg()[0]:.1f})")
    print(f"server RSS: before the load {idle_rss / 1024:.0f} MB, peak {peak_rss / 1024:.0f} MB "
          "(VmHWM and 0.25 s samples)")
    slowest = sorted(((v, i) for i, t in enumerate(tours) for v in t.visits), key=lambda vi: -vi[0].seconds)[:6]
    t0 = min((v.started for t in tours for v in t.visits), default=0.0)
    print("slowest visits:\n" + "\n".join(
        f"  /{v.page} {v.seconds:.0f} s (session {i}, {v.how}, from t={v.started - t0:.0f} s; address shown at "
        f"{v.opened - v.started:.0f} s, heading at {v.heading - v.started:.0f} s)" for v, i in slowest))
    placeholders = sorted({p for t in tours for p in t.placeholders})
    if placeholders:
        print("skipped (placeholder pages):", ", ".join(placeholders))

    problems = [p for t in tours for p in t.problems]
    assert not problems, f"{len(problems)} problems in the browser:\n" + "\n".join(problems[:20])
    assert not server_problems, "server log shows errors:\n" + "\n".join(server_problems[:40])
    assert visited + len([p for t in tours for p in t.placeholders]) == SESSIONS * len(pages)
