"""Exports: CSV that opens cleanly in Excel and cannot smuggle formulas; chart images without a browser."""

from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")
RANK_WORDS = re.compile(r"\b(rank(ed|ing|s)?|league|position|quartile|top \d+|bottom \d+|\d+(st|nd|rd|th) of \d+)\b",
                        re.IGNORECASE)


def neutralise(cell: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (numbers are left alone)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START) and not _NUMBER.match(cell.strip()):
        return "'" + cell
    return cell


def safe_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads it as UTF-8), formula-like cells neutralised, no ranks."""
    bad = [c for c in frame.columns if RANK_WORDS.search(str(c))]
    if bad:
        raise ValueError(f"exports never carry rank columns: {bad}")
    clean = frame.copy()
    for col in clean.columns:
        if clean[col].dtype == object or str(clean[col].dtype).startswith(("str", "string")):
            clean[col] = clean[col].map(neutralise)
    clean.columns = [str(neutralise(str(c))) for c in clean.columns]
    return clean.to_csv(index=False).encode("utf-8-sig")
