"""CSV exports: BOM, formula neutralisation, and no rank columns."""

from __future__ import annotations

import pandas as pd
import pytest

from lm_core.export import neutralise, safe_csv_bytes


def test_formula_cells_neutralised_numbers_kept() -> None:
    # Synthetic cells (test data, not real).
    frame = pd.DataFrame({"name": ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "Burnley"],
                          "value": ["-3.2", "+4", "12%", "1e3", "=HYPERLINK(\"x\")"]})
    out = safe_csv_bytes(frame)
    assert out.startswith(b"\xef\xbb\xbf")
    text = out.decode("utf-8-sig")
    assert "'=1+1" in text and "'@SUM(A1)" in text and "'+cmd" in text and "'-2+3" in text
    assert "\n-3.2" not in text  # numbers are data, not formulas
    assert ",-3.2" not in text or "'-3.2" not in text
    assert "'=HYPERLINK" in text
    assert neutralise("-3.2") == "-3.2" and neutralise(5) == 5


def test_rank_columns_refused() -> None:
    with pytest.raises(ValueError, match="rank"):
        safe_csv_bytes(pd.DataFrame({"area_code": ["E1"], "rank": [1]}))
