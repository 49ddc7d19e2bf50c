"""Hostile and malformed files (SHEETS.md "What must never happen"): every corpus file is read or
refused with its expected code, quickly, without the process's memory growing."""

import resource
import time
from decimal import Decimal

import pytest

from assessment.sheets import safety
from assessment.sheets.parse import SheetRejected, read_sheet
from tests.sheet_corpus import build_corpus, raw_xlsx, sheet_xml

STATUS = {
    "too_large": 413,
    "not_spreadsheet": 415,
    "encrypted": 400,
    "zip_bomb": 413,
    "xml_bomb": 400,
    "huge_range": 413,
    "no_header": 400,
    "no_sheet": 400,
    "bad_encoding": 400,
    "too_many_rows": 413,
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def outcome(item):
    """('ok', {id: {code: str}}, [error rows]) or (code, status, message)."""
    try:
        sheet = read_sheet(
            item.path,
            filename=item.name,
            indicator_codes=item.indicator_codes,
            quarterly=item.quarterly,
            sheet=item.sheet,
        )
    except SheetRejected as exc:
        return exc.code, exc.status, exc.message
    bad = sorted({e.row for e in sheet.errors})
    good = {
        r.id_number: {k: None if v is None else str(v.normalize()) for k, v in r.values.items()}
        for r in sheet.rows
        if r.row not in bad
    }
    return "ok", good, bad


def test_the_corpus_has_at_least_25_files_with_every_rejection_code(corpus):
    assert len(corpus) >= 25
    codes = {item.expect for item in corpus}
    assert codes >= set(STATUS) - {"no_sheet"}  # no_sheet needs a sheet name: test_sheet_parse
    assert sum(item.expect == "ok" for item in corpus) >= 10


def test_every_corpus_file_is_read_or_refused_as_expected_within_a_second(corpus):
    # CPU time of this process, not the wall clock: a hostile file must not make the reader
    # work, and the figure does not depend on what else the (shared) machine is running.
    failures = []
    for item in corpus:
        start = time.process_time()
        result = outcome(item)
        took = time.process_time() - start
        if took > 1.0:
            failures.append(f"{item.name}: {took:.2f}s")
        if item.expect == "ok":
            expected = {
                k: {c: None if v is None else str(Decimal(v).normalize()) for c, v in vals.items()}
                for k, vals in item.rows.items()
            }
            if result != ("ok", expected, item.error_rows):
                failures.append(f"{item.name}: {result!r}")
        elif result[0] != item.expect or result[1] != STATUS[item.expect] or not result[2]:
            failures.append(f"{item.name}: expected {item.expect}, got {result!r}")
    assert failures == []


def test_running_the_whole_corpus_keeps_memory_bounded(corpus):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for item in corpus:
        outcome(item)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200


def test_the_size_limit_comes_from_settings(settings):
    data = raw_xlsx([("S", sheet_xml([["身份证号", "德"]]))])
    settings.IMPORT_MAX_BYTES = len(data) - 1
    with pytest.raises(SheetRejected) as exc:
        read_sheet(data, filename="a.xlsx", indicator_codes=["德"])
    assert exc.value.code == "too_large" and "不能超过" in exc.value.message
    settings.IMPORT_MAX_BYTES = len(data)
    assert read_sheet(data, filename="a.xlsx", indicator_codes=["德"]).rows == []


def test_a_big_upload_is_refused_from_its_size_before_being_read(tmp_path, monkeypatch):
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as f:
        f.truncate(201 * 1024 * 1024)
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("read before the size check"))
    with pytest.raises(SheetRejected) as exc:
        read_sheet(path, filename="big.xlsx", indicator_codes=["德"])
    assert exc.value.status == 413


def test_a_sheet_whose_cells_reach_far_is_refused_before_calamine_allocates_it(monkeypatch):
    rows = [["身份证号", "德"]]
    far = sheet_xml(rows, extra='<row r="300000"><c r="B300000"><v>1</v></c></row>')
    calls = []
    monkeypatch.setattr(safety, "MAX_ROWS", safety.MAX_ROWS)
    import python_calamine

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", lambda *a, **k: calls.append(a))
    with pytest.raises(SheetRejected) as exc:
        read_sheet(raw_xlsx([("S", far)]), filename="a.xlsx", indicator_codes=["德"])
    assert exc.value.code == "huge_range" and "300000" in exc.value.message
    assert calls == []


def test_the_dimension_element_alone_is_not_trusted_either_way():
    rows = [["身份证号", "德"]]
    scan = safety.check_zip(raw_xlsx([("S", sheet_xml(rows, dimension="A1:XFD1048576"))]))
    assert (scan.sheets["S"].max_row, scan.sheets["S"].max_col) == (1, 26)


def test_cells_without_references_are_counted_from_their_position():
    wide = "<row>" + "<c><v>1</v></c>" * (safety.MAX_COLS + 10) + "</row>"
    xml = sheet_xml([["身份证号", "德"]], extra=wide * 3)
    with pytest.raises(SheetRejected) as exc:
        safety.check_zip(raw_xlsx([("S", xml)]))
    assert exc.value.code == "huge_range"


def test_formula_cells_without_a_cached_value_are_located():
    rows = [["a", ("1+1", None), ("1+1", 2)], [None, None, ("A1", None)]]
    scan = safety.check_zip(raw_xlsx([("S", sheet_xml(rows))]))
    assert scan.sheets["S"].blank_formulas == {(0, 1), (1, 2)}


def test_a_macro_workbook_is_flagged_and_its_macros_never_run(corpus):
    item = next(i for i in corpus if i.name.endswith(".xlsm"))
    assert safety.check_zip(item.path.read_bytes()).macros is True
    assert outcome(item)[0] == "ok"
