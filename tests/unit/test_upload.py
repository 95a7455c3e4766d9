"""Bring-your-own-data checks: a catalogue of bad files, good files, and fuzzing of the parser.

Every file here is synthetic: built by code in this module from the shipped council list, never
read from disk. Each bad file must be refused with a message that names the problem, and must leave
the store exactly as it was.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, inspect, select, table, text

from lm_core.build import load_processed
from lm_core.store import get_engine
from lm_core.upload import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    VALUE_LAYOUT,
    UploadMeta,
    ValidationReport,
    canonical_heading,
    parse_period,
    validate_upload,
    value_rule,
)
from lm_core.user_data import USER_TABLES, save_user_indicator

TABLES = load_processed()
AUTHORITIES = TABLES["authorities"]
LINEAGE = TABLES["lineage"]
META = UploadMeta(title="Residents satisfied with parks", unit="%", polarity="higher_better", tier="lower",
                  source="Our 2024 residents' survey")
UPPER = replace(META, tier="upper")
SCORE = replace(META, unit="score")
INTERNAL = "internal fault"


def check(data: bytes, meta: UploadMeta = META) -> ValidationReport:
    return validate_upload(data, AUTHORITIES, LINEAGE, meta)


def lines(*rows: str, end: str = "\n") -> bytes:
    return (end.join(rows) + end).encode("utf-8")


def messages(items: list) -> str:
    return "\n".join(i.message for i in items)


# ---------------------------------------------------------------------------------------------
# The store, for "nothing changed" checks: a private copy of the session's SQLite store.


@pytest.fixture(scope="module")
def store(sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    src = Path(str(sqlite_engine.url.database))
    dst = tmp_path_factory.mktemp("upload") / "store.sqlite"
    sqlite_engine.dispose()
    shutil.copy(src, dst)
    engine = get_engine(f"sqlite:///{dst}")
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> dict[str, object]:
    """Row counts of every table plus a hash of the user tables' contents."""
    names = sorted(inspect(engine).get_table_names())
    out: dict[str, object] = {}
    with engine.connect() as conn:
        for name in names:
            out[name] = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
        for t in USER_TABLES:
            if t.name in names:
                rows = conn.execute(select(t).order_by(*t.primary_key.columns)).all()
                out[f"{t.name}#hash"] = hashlib.sha256(repr(rows).encode()).hexdigest()
        out["data_version"] = conn.execute(text("select value from store_meta where key='data_version'")).scalar()
    return out


def validate_then_save(engine: Engine, data: bytes, meta: UploadMeta) -> ValidationReport:
    """What the page does: check, and save only when the check passed."""
    report = check(data, meta)
    if report.ok and report.values is not None:
        save_user_indicator(engine, meta, report.values)
    return report


# ---------------------------------------------------------------------------------------------
# The catalogue of bad files: (id, bytes, meta, expected message fragment).

GOOD_HEAD = "code,period,value"


def _too_many_rows() -> bytes:
    codes = [c for c, lower in zip(AUTHORITIES["area_code"], AUTHORITIES["is_lower"], strict=True) if lower]
    rows = [GOOD_HEAD] + [f"{codes[i % len(codes)]},{1900 + i // len(codes)},1" for i in range(MAX_ROWS + 1)]
    return lines(*rows)


BAD: list[tuple[str, Callable[[], bytes], UploadMeta, str]] = [
    ("empty file", lambda: b"", META, "The file is empty"),
    ("only blank lines", lambda: b"\r\n \n,,\n", META, "The file is empty"),
    ("heading only", lambda: lines(GOOD_HEAD), META, "heading row but no data rows"),
    ("one column, no delimiter", lambda: lines("code period value", "E06000001 2023 5"), META,
     "Only one column was found"),
    ("missing value column", lambda: lines("code,period", "E06000001,2023-24"), META,
     "value column is missing"),
    ("missing period column", lambda: lines("code,value", "E06000001,5"), META, "period column is missing"),
    ("no council column", lambda: lines("period,value", "2023-24,5"), META, "there is no council column"),
    ("duplicate heading", lambda: lines("code,period,value,Value", "E06000001,2023-24,5,6"), META,
     "are both read as the value column"),
    ("two code headings", lambda: lines("code,period,value,area_code", "E06000001,2023-24,5,E06000001"), META,
     "are both read as the code column"),
    ("extra field (unquoted thousands)", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5", "E06000002,2023-24,1,234"),
     META, "Row 3 has 4 cells but the headings have 3"),
    ("missing field", lambda: lines(GOOD_HEAD, "E06000001,2023-24"), META, "a cell is missing"),
    ("unknown code", lambda: lines(GOOD_HEAD, "E06000999,2023-24,5"), META,
     "E06000999 is not the code of an English council"),
    ("Welsh code", lambda: lines(GOOD_HEAD, "W06000015,2023-24,5"), META, "W06000015 is a Welsh code"),
    ("Scottish code", lambda: lines(GOOD_HEAD, "S12000033,2023-24,5"), META, "S12000033 is a Scottish code"),
    ("England total", lambda: lines(GOOD_HEAD, "E92000001,2023-24,5"), META, "England as a whole"),
    ("split county", lambda: lines(GOOD_HEAD, "E10000021,2019-20,5"), UPPER, "cannot be divided"),
    ("partial county", lambda: lines(GOOD_HEAD, "E10000009,2017-18,5"), UPPER, "cannot be divided"),
    ("duplicate code and period", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5", "E06000001,2023-24,6"), META,
     "Rows 2 and 3 both give a figure for Hartlepool (E06000001) for 2023-24"),
    ("duplicate period spelt two ways", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5", "E06000001,2023/24,6"),
     META, "both give a figure for Hartlepool"),
    ("two predecessors, one successor", lambda: lines(GOOD_HEAD, "E07000163,2021-22,5", "E07000164,2021-22,6"),
     META, "once retired codes are mapped"),
    ("successor and predecessor", lambda: lines(GOOD_HEAD, "E06000065,2021-22,5", "E07000163,2021-22,6"),
     META, "Rows 2 and 3 both give a figure for North Yorkshire (E06000065)"),
    ("county in lower-tier upload", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5", "E10000016,2023-24,5"),
     META, "Kent (E10000016) is a county council"),
    ("district in upper-tier upload", lambda: lines(GOOD_HEAD, "E07000008,2023-24,5"), UPPER,
     "Cambridge (E07000008) is a district council"),
    ("retired district in upper-tier upload", lambda: lines(GOOD_HEAD, "E07000163,2021-22,5"), UPPER,
     "was a district council"),
    ("non-numeric value", lambda: lines(GOOD_HEAD, "E06000001,2023-24,lots"), META, "'lots' is not a number"),
    ("inf", lambda: lines(GOOD_HEAD, "E06000001,2023-24,inf"), SCORE, "not a finite number"),
    ("NaN text", lambda: lines(GOOD_HEAD, "E06000001,2023-24,NaN"), SCORE, "not a finite number"),
    ("1e309", lambda: lines(GOOD_HEAD, "E06000001,2023-24,1e309"), SCORE, "too large"),
    ("negative percentage", lambda: lines(GOOD_HEAD, "E06000001,2023-24,-5"), META,
     "-5 is negative, but the unit '%' is a percentage"),
    ("negative rate", lambda: lines(GOOD_HEAD, "E06000001,2023-24,-0.5"), replace(META, unit="per 1,000 people"),
     "is a rate, which cannot be below zero"),
    ("negative count", lambda: lines(GOOD_HEAD, "E06000001,2023-24,-3"), replace(META, unit="number of homes"),
     "is a count or quantity"),
    ("percentage over 100", lambda: lines(GOOD_HEAD, "E06000001,2023-24,104.5"), META, "104.5 is over 100"),
    ("lower above value", lambda: lines(GOOD_HEAD + ",lower,upper", "E06000001,2023-24,50,55,60"), META,
     "the lower limit (55) is above the value (50)"),
    ("upper below value", lambda: lines(GOOD_HEAD + ",lower,upper", "E06000001,2023-24,50,40,45"), META,
     "the upper limit (45) is below the value (50)"),
    ("formula =1+1", lambda: lines(GOOD_HEAD, "E06000001,2023-24,=1+1"), META, "looks like a spreadsheet formula"),
    ("formula @SUM", lambda: lines(GOOD_HEAD, "E06000001,2023-24,@SUM(A1)"), META,
     "looks like a spreadsheet formula"),
    ("formula +cmd", lambda: lines(GOOD_HEAD, "E06000001,2023-24,+cmd|' /C calc'!A0"), META,
     "looks like a spreadsheet formula"),
    ("formula -cmd", lambda: lines(GOOD_HEAD, "E06000001,2023-24,-2+3+cmd|' /C calc'!A0"), META,
     "looks like a spreadsheet formula"),
    ("formula in a name", lambda: lines("name,period,value", '"=HYPERLINK(""http://x"",""y"")",2023-24,5'), META,
     "looks like a spreadsheet formula"),
    ("formula in a note", lambda: lines(GOOD_HEAD + ",note", "E06000001,2023-24,5,@cmd"), META,
     "Row 2 (note): '@cmd' looks like a spreadsheet formula"),
    ("too many bytes", lambda: b"code,period,value\n" + b"E06000001,2023-24,5\n" * (MAX_UPLOAD_BYTES // 20 + 1),
     META, "the limit is 5 MB"),
    ("too many rows", _too_many_rows, SCORE, "the limit is 20,000"),
    ("unparseable period", lambda: lines(GOOD_HEAD, "E06000001,2023-4,5"), META,
     "'2023-4' is not a period we recognise"),
    ("wide with a non-period heading", lambda: lines("code,2022-23,Total", "E06000001,5,6"), META,
     "the heading 'Total' is not a period we recognise"),
    ("wide with one period twice", lambda: lines("code,2022-23,2022/23", "E06000001,5,6"), META,
     "are both the period 2022-23"),
    ("neither UTF-8 nor Windows-1252", lambda: b"code,period,value\nE06000001,2023-24,\x81\x8d\n", META,
     "encoding could not be recognised"),
    ("Excel workbook", lambda: b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), META, "Excel workbook"),
    ("binary", lambda: b"\x00\x01\x02\x03code\x00,period" * 20, META, "binary data"),
    ("unbalanced quote", lambda: lines(GOOD_HEAD, 'E06000001,"2023-24,5', "E06000002,2023-24,6"), META,
     "the quotation marks do not pair up"),
    ("decimal comma in a semicolon file", lambda: lines("code;period;value", "E06000001;2023-24;12,5"), META,
     "semicolon-separated"),
    ("decimal comma in a comma file", lambda: lines(GOOD_HEAD, 'E06000001,2023-24,"12,5"'), META,
     "looks like a decimal comma"),
    ("figure and status x", lambda: lines(GOOD_HEAD + ",status", "E06000001,2023-24,5,x"), META,
     "there is a figure (5) and the status [x]"),
    ("figure with marker c", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5 [c]"), META,
     "has a number and the marker [c]"),
    ("unknown status", lambda: lines(GOOD_HEAD + ",status", "E06000001,2023-24,5,maybe"), META,
     "'maybe' is not a status we know"),
    ("unknown name", lambda: lines("council,period,value", "Atlantis,2023-24,5"), META,
     "'Atlantis' is not the name of an English council"),
    ("misspelt name", lambda: lines("council,period,value", "Hartlepol,2023-24,5"), META,
     "Did you mean 'Hartlepool'?"),
    ("name in the code column", lambda: lines(GOOD_HEAD, "Hartlepool,2023-24,5"), META,
     "put names in a column headed 'name'"),
    ("blank code", lambda: lines(GOOD_HEAD, ",2023-24,5"), META, "Row 2 has no council code"),
    ("markers only", lambda: lines(GOOD_HEAD, "E06000001,2023-24,[x]", "E06000002,2023-24,.."), META,
     "None of the rows has a figure"),
    ("headings missing", lambda: lines("E06000001,2023-24,5", "E06000002,2023-24,6"), META,
     "looks like data"),
    ("column without a heading", lambda: lines("code,period,value,", "E06000001,2023-24,5,oops"), META,
     "Column D has no heading"),
    ("negative denominator", lambda: lines(GOOD_HEAD + ",numerator,denominator", "E06000001,2023-24,5,1,-20"),
     META, "-20 is negative"),
    ("zero denominator", lambda: lines(GOOD_HEAD + ",numerator,denominator", "E06000001,2023-24,5,0,0"),
     META, "the denominator is 0"),
    ("row number counts blank lines", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5", "", "E06000002,2023-24,x1"),
     META, "Row 4 (value): 'x1' is not a number"),
    ("no source given", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5"), replace(META, source="  "),
     "Give the source of the figures"),
    ("unknown polarity", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5"), replace(META, polarity="up"),
     "Polarity 'up' is not one of"),
    ("formula as the title", lambda: lines(GOOD_HEAD, "E06000001,2023-24,5"), replace(META, title="=cmd()"),
     "looks like a spreadsheet formula"),
]


@pytest.mark.parametrize(("build", "meta", "fragment"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_file_is_refused_and_store_unchanged(store: Engine, build: Callable[[], bytes], meta: UploadMeta,
                                                 fragment: str) -> None:
    before = snapshot(store)
    report = validate_then_save(store, build(), meta)
    assert not report.ok
    assert report.values is None
    text_ = messages(report.errors)
    assert fragment in text_, text_
    assert INTERNAL not in text_
    assert snapshot(store) == before


def test_catalogue_is_large_enough() -> None:
    assert len(BAD) >= 25
    assert len({b[0] for b in BAD}) == len(BAD)


def test_errors_name_the_row_and_column() -> None:
    report = check(lines(GOOD_HEAD, "E06000001,2023-24,5", "E06000002,2023-24,abc"))
    (issue,) = report.errors
    assert (issue.row, issue.column) == (3, "value")
    assert issue.message.startswith("Row 3 (value):")
    assert "Type a number such as 12.5" in issue.message


def test_many_errors_are_capped_with_a_summary_line() -> None:
    rows = [GOOD_HEAD] + [f"E06000001,{1950 + i},bad" for i in range(150)]
    report = check(lines(*rows))
    assert len(report.errors) == 101
    assert "50 more problems not listed" in report.errors[-1].message


# ---------------------------------------------------------------------------------------------
# Good files


def test_long_file_with_every_column() -> None:
    data = lines("Area Code,Period,Value,Lower 95% CI,Upper 95% CI,Numerator,Denominator,Status,Notes",
                 "E06000001,2023-24,42.5,40,45,85,200,,",
                 "E06000002,2023/24,[c],,,,,,suppressed by us",
                 "E07000008,2023-2024,12.3 [u],,,,,,",
                 "E06000003,2023-24,..,,,,,,")
    report = check(data)
    assert report.ok, messages(report.errors)
    assert report.format == "long" and report.delimiter == "," and report.encoding == "utf-8"
    v = report.values
    assert v is not None
    assert list(v.columns) == list(VALUE_LAYOUT)
    assert str(v["area_code"].dtype) == "str" and str(v["value"].dtype) == "float64"
    rows = {str(r["area_code"]): r for r in v.to_dict("records")}
    h = rows["E06000001"]
    assert [h["value"], h["lower"], h["upper"], h["numerator"], h["denominator"]] == [42.5, 40, 45, 85, 200]
    assert (h["period"], h["period_start"]) == ("2023-24", "2023-04-01")
    assert rows["E06000002"]["status"] == "c" and math.isnan(float(rows["E06000002"]["value"]))
    assert rows["E06000002"]["note"] == "suppressed by us"
    assert rows["E07000008"]["status"] == "u" and rows["E07000008"]["value"] == 12.3
    assert rows["E06000003"]["status"] == "x" and "shown as .." in str(rows["E06000003"]["note"])
    assert set(v["period"]) == {"2023-24"}


@pytest.mark.parametrize("marker,status", [("[x]", "x"), ("[c]", "c"), ("[z]", "z"), ("[u]", "u"),
                                           ("..", "x"), (":", "x"), ("-", "x"), ("X", "x")])
def test_gss_shorthand_is_status_never_a_number(marker: str, status: str) -> None:
    report = check(lines(GOOD_HEAD, "E06000001,2023-24,5", f"E06000002,2023-24,{marker}"))
    assert report.ok, messages(report.errors)
    assert report.values is not None
    row = report.values[report.values["area_code"] == "E06000002"]
    assert row["status"].tolist() == [status]
    assert row["value"].isna().all()


def test_wide_file() -> None:
    report = check(lines("council,2021-22,2022/23,2023-24", "Hartlepool,41,42,", "Cambridge,50.5,[x],52"))
    assert report.ok, messages(report.errors)
    assert report.format == "wide"
    v = report.values
    assert v is not None and len(v) == 6
    got = {(r.area_code, r.period): r.value for r in v.itertuples()}
    assert got[("E06000001", "2022-23")] == 42 and got[("E07000008", "2023-24")] == 52
    assert "blank figure" in messages(report.warnings)  # Hartlepool 2023-24 stored as [x]


def test_utf8_bom_and_crlf() -> None:
    data = "\ufeffcode,period,value\r\nE06000001,2023-24,5\r\n".encode()
    report = check(data)
    assert report.ok and report.encoding == "utf-8-sig"
    assert report.values is not None and report.values["area_code"].tolist() == ["E06000001"]


def test_cp1252_with_pound_signs() -> None:
    # "£1,234.50" is quoted, as Excel writes it (unquoted it would be an extra field)
    data = "code,period,value,note\nE06000001,2023-24,\"£1,234.50\",Café\nE06000002,2023-24,£7,\n".encode("cp1252")
    report = check(data, replace(META, unit="£ per head"))
    assert report.ok, messages(report.errors)
    assert report.encoding == "cp1252"
    assert "Windows-1252" in messages(report.notices)
    assert "pound sign (£) was removed from 2 figures" in messages(report.warnings)
    assert report.values is not None
    assert report.values["value"].tolist() == [1234.5, 7.0]
    assert report.values["note"].tolist()[0] == "Café"


def test_utf16_is_decoded() -> None:
    data = "code\tperiod\tvalue\nE06000001\t2023-24\t5\n".encode("utf-16")
    report = check(data)
    assert report.ok and report.encoding == "utf-16" and report.delimiter == "\t"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_not_one_column(delimiter: str) -> None:
    data = lines(delimiter.join(["code", "period", "value"]), delimiter.join(["E06000001", "2023-24", "5.5"]))
    report = check(data)
    assert report.ok and report.delimiter == delimiter
    assert report.values is not None and report.values["value"].tolist() == [5.5]


def test_names_instead_of_codes() -> None:
    data = lines("Local authority,period,value", "Hull,2023,1", "Bristol,2023,2", "Durham,2023,3",
                 '"Herefordshire, County of",2023,4', "ST. HELENS METROPOLITAN BOROUGH COUNCIL,2023,5",
                 "Royal Borough of Greenwich,2023,6", "Hammersmith & Fulham,2023,7", "City of London,2023,8",
                 "Dorset Council,2023,9", '"Kingston upon Hull, City of",2022,10')
    report = check(data)
    assert report.ok, messages(report.errors)
    assert report.values is not None
    got = dict(zip(report.values["value"], report.values["area_code"], strict=True))
    assert got == {1: "E06000010", 2: "E06000023", 3: "E06000047", 4: "E06000019", 5: "E08000013",
                   6: "E09000011", 7: "E09000013", 8: "E09000001", 9: "E06000059", 10: "E06000010"}


def test_every_council_is_found_by_its_own_names() -> None:
    for tier, meta in (("is_lower", META), ("is_upper", UPPER)):
        councils = AUTHORITIES[AUTHORITIES[tier]]
        for column in ("area_name", "official_name"):
            body = [f'"{n}",2023,{i}' for i, n in enumerate(councils[column])]
            report = check(lines("name,period,value", *body), replace(meta, unit="score"))
            assert report.ok, messages(report.errors)
            assert report.values is not None
            got = dict(zip(report.values["value"].astype(int), report.values["area_code"], strict=True))
            assert [got[i] for i in range(len(councils))] == councils["area_code"].tolist()


def test_retired_code_is_mapped_with_a_notice() -> None:
    data = lines(GOOD_HEAD, "E06000001,2021-22,5", "E06000002,2021-22,5", "E06000003,2021-22,5",
                 "E06000004,2021-22,5", "E06000005,2021-22,5", "E07000163,2021-22,7")
    report = check(data)
    assert report.ok, messages(report.errors)
    assert ("row 7: E07000163 (Craven) is a retired code; its figure was mapped to North Yorkshire "
            "(E06000065)") in messages(report.notices)
    assert report.values is not None
    row = report.values.set_index("area_code").loc["E06000065"]
    assert row["value"] == 7 and "E07000163" in row["note"]


def test_2025_codes_read_back_to_2024_codes() -> None:
    report = check(lines(GOOD_HEAD, "E08000038,2025-26,5", "E08000039,2025-26,6"))
    assert report.ok
    assert report.values is not None and sorted(report.values["area_code"]) == ["E08000016", "E08000019"]
    assert "E08000038 (Barnsley) is a retired code" in messages(report.notices)


def test_numbers_signs_and_separators() -> None:
    data = lines(GOOD_HEAD, 'E06000001,2023-24,"1,234.5"', "E06000002,2023-24,-3.2", "E06000003,2023-24,45%",
                 "E06000004,2023-24,1e3", "E06000005,2023-24,\u22127")
    report = check(data, replace(META, unit="£ net spend per head"))
    assert report.ok, messages(report.errors)
    assert report.values is not None
    assert report.values["value"].tolist() == [1234.5, -3.2, 45.0, 1000.0, -7.0]
    assert "percent sign (%) was removed" in messages(report.warnings)


def test_blank_lines_are_skipped_with_a_warning() -> None:
    report = check(lines(GOOD_HEAD, "E06000001,2023-24,5", "", ",,", "E06000002,2023-24,6", "", ""))
    assert report.ok
    assert "Rows 3 and 4 are blank and were skipped" in messages(report.warnings)


def test_unknown_columns_are_ignored_with_a_warning_and_name_mismatch_is_flagged() -> None:
    report = check(lines("code,name,period,value,colour", "E06000001,Middlesbrough,2023-24,5,red"))
    assert report.ok
    text_ = messages(report.warnings)
    assert "Column E ('colour') was not recognised" in text_
    assert "the code E06000001 is Hartlepool but the name says 'Middlesbrough'" in text_


def test_proportions_under_a_percent_unit_are_questioned() -> None:
    report = check(lines(GOOD_HEAD, "E06000001,2023,0.4", "E06000002,2023,0.5", "E06000003,2023,0.45"))
    assert report.ok and "multiply them by 100" in messages(report.warnings)


# ---------------------------------------------------------------------------------------------
# Small rules


@pytest.mark.parametrize("label,expected", [
    ("2023-24", ("2023-24", "2023-04-01")), ("2023/24", ("2023-24", "2023-04-01")),
    ("2023-2024", ("2023-24", "2023-04-01")), ("FY 2023/24", ("2023-24", "2023-04-01")),
    ("1999-00", ("1999-00", "1999-04-01")), ("2023", ("2023", "2023-01-01")),
    ("Q1 2024", ("2024 Q1", "2024-01-01")), ("2024 q3", ("2024 Q3", "2024-07-01")),
    ("2023-24 Q4", ("2023-24 Q4", "2024-01-01")), ("2024-03-31", ("2024-03-31", "2024-03-31")),
    ("31/03/2024", ("2024-03-31", "2024-03-31")), ("2024-03", ("2024-03", "2024-03-01")),
    ("March 2024", ("2024-03", "2024-03-01")), ("mid-2023", ("mid-2023", "2023-06-30")),
    ("2021-2025", ("2021-2025", "2021-01-01")), ("2023 to 2024", ("2023-24", "2023-04-01")),
    ("2023-4", None), ("2024-02-30", None), ("Q5 2024", None), ("2023-22", None), ("1066", None),
    ("latest", None), ("", None),
])
def test_parse_period(label: str, expected: tuple[str, str] | None) -> None:
    assert parse_period(label) == expected


@pytest.mark.parametrize("unit,negative,maximum", [
    ("%", False, 100.0), ("% of decisions", False, 100.0), ("% change", True, None),
    ("percentage points", True, None), ("per 1,000 households", False, None), ("£ per head", True, None),
    ("number of people", False, None), ("years", False, None), ("score out of 10", True, None),
    ("ratio", True, None), ("index", True, None),
])
def test_value_rule_from_unit(unit: str, negative: bool, maximum: float | None) -> None:
    rule = value_rule(unit)
    assert (rule.allow_negative, rule.maximum) == (negative, maximum)


@pytest.mark.parametrize("heading,canon", [("Area Code", "code"), ("GSS_code", "code"), ("la_code", "code"),
                                           ("LAD24CD", "code"), ("area_name", "name"), ("Council", "name"),
                                           ("Financial year", "period"), (" VALUE ", "value"),
                                           ("Lower CI", "lower"), ("colour", None)])
def test_heading_aliases(heading: str, canon: str | None) -> None:
    assert canonical_heading(heading) == canon


# ---------------------------------------------------------------------------------------------
# Fuzzing: nothing the parser is given makes it raise; valid tables round-trip exactly.

LOWER = AUTHORITIES.loc[AUTHORITIES["is_lower"], ["area_code", "area_name"]].reset_index(drop=True)
TOKENS = ["code", "name", "period", "value", "lower", "upper", "status", "note", "E06000001", "E07000163",
          "W06000015", "E10000021", "Hartlepool", "2023-24", "2023", "Q1 2024", "12.5", "-3", "1,234", "[x]",
          "[u]", "..", "-", "=1+1", "@SUM(A1)", "1e309", "nan", "£5", "50%", '"', '""', "", " ", "\u00a3",
          "\ufeff", "\x00"]
cell = st.one_of(st.sampled_from(TOKENS), st.text(max_size=8))


def _assert_sane(report: ValidationReport) -> None:
    assert isinstance(report, ValidationReport)
    assert INTERNAL not in messages(report.errors), messages(report.errors)
    if report.ok:
        assert report.values is not None and not report.errors
        assert list(report.values.columns) == list(VALUE_LAYOUT)
    else:
        assert report.errors and report.values is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    _assert_sane(check(data))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=6), min_size=0, max_size=8),
       delimiter=st.sampled_from([",", ";", "\t", "|", " "]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_fuzz_csv_like_text(rows: list[list[str]], delimiter: str, encoding: str, newline: str) -> None:
    body = newline.join(delimiter.join(r) for r in [["code", "period", "value"], *rows])
    _assert_sane(check(body.encode(encoding, errors="replace")))


@st.composite
def long_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, str]:
    n = draw(st.integers(min_value=1, max_value=25))
    codes = draw(st.lists(st.sampled_from(range(len(LOWER))), min_size=n, max_size=n, unique=True))
    years = draw(st.lists(st.integers(min_value=1995, max_value=2030), min_size=1, max_size=3, unique=True))
    finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
    records: list[dict[str, object]] = []
    for i in codes:
        for y in years:
            value = draw(finite)
            width = draw(st.floats(min_value=0, max_value=1e6))
            status = draw(st.sampled_from(["", "", "", "u", "x", "c"])) if records else ""  # one figure at least
            records.append({"area_code": LOWER.loc[i, "area_code"], "name": LOWER.loc[i, "area_name"],
                            "period": f"{y}-{(y + 1) % 100:02d}", "period_start": f"{y}-04-01",
                            "value": math.nan if status in ("x", "c") else value,
                            "lower": math.nan if status in ("x", "c") else value - width,
                            "upper": math.nan if status in ("x", "c") else value + width, "status": status})
    frame = pd.DataFrame(records)
    return frame, draw(st.sampled_from(["code", "name"]))


def _write(frame: pd.DataFrame, key: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([key, "period", "value", "lower", "upper", "status"])
    for r in frame.itertuples():
        def num(x: object) -> str:
            return "" if math.isnan(float(str(x))) else repr(float(str(x)))
        writer.writerow([r.area_code if key == "code" else r.name, r.period, num(r.value), num(r.lower),
                         num(r.upper), r.status])
    return buf.getvalue().encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_tables())
def test_round_trip_valid_long_table(table_and_key: tuple[pd.DataFrame, str]) -> None:
    frame, key = table_and_key
    report = check(_write(frame, key), replace(META, unit="score"))
    assert report.ok, messages(report.errors)
    assert report.values is not None
    got = report.values.sort_values(["area_code", "period"]).reset_index(drop=True)
    want = frame.sort_values(["area_code", "period"]).reset_index(drop=True)
    for col in ("area_code", "period", "period_start", "status"):
        assert got[col].tolist() == want[col].tolist()
    for col in ("value", "lower", "upper"):
        pd.testing.assert_series_equal(got[col], want[col].astype("float64"), check_names=False, rtol=0, atol=0)
