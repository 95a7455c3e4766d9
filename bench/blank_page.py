"""The common yardstick of every bench: one run of a blank Streamlit page, measured in the same run.

Streamlit's own cost of a rerun (session, script execution, delta messages) is what any page pays
before our code runs, so each bench prints its headline figure as a multiple of it; the ratio, unlike
the milliseconds, carries over between machines and between a quiet and a busy machine.
bench/app.py measures the same yardstick in a real browser.
"""

from __future__ import annotations

import statistics
import time

BLANK_PAGE = 'import streamlit as st\nst.title("Blank")\nst.write("A page with nothing on it.")\n'


def blank_page_ms(runs: int = 15) -> float:
    """Median wall time in ms of one AppTest run of a blank page, after a warm-up run."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_string(BLANK_PAGE, default_timeout=60)
    app.run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        app.run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def report(label: str, ms: float, blank_ms: float) -> str:
    """One line: the figure, and the figure as a multiple of a blank page's run."""
    return f"{label}: {ms:.1f} ms = {ms / blank_ms:.1f} x a blank Streamlit page ({blank_ms:.1f} ms, same run)"
