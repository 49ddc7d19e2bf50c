"""A corpus of real-looking, malformed and hostile score sheets.

``python tests/sheet_corpus.py OUTDIR`` writes it; ``build_corpus(path)`` does the same and
returns one ``CorpusFile`` per file. ``expect`` is ``"ok"`` (the file is read: ``rows`` gives the
expected values per ID number, ``error_rows`` the rows that must carry an error) or the
``SheetRejected`` code the file must be refused with. Every file is meant to go through
``read_sheet`` and through the page, the API and the management command of the import.

Needs only the standard library, openpyxl and msoffcrypto-tool (no Django), so the files can be
generated anywhere. The large files (a 200 MB upload, zip bombs) are written sparse or
streamed, in a second or two; nothing large belongs in the repository.
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
QUARTER_CODES = ["得分"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(birth: str, seq: int, area: str = "430121") -> str:
    body = f"{area}{birth}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


# The cadres every "ok" file refers to (tests create them in the registry).
CADRES = [
    ("张三", make_id("19800101", 11)),
    ("李四", make_id("19810202", 21)),
    ("王五", make_id("19820303", 31)),
    ("赵六", make_id("19830404", 41)),
]
# An ID ending in X, for the lower-case x case.
X_ID = next(make_id("19850505", s) for s in range(1, 999) if make_id("19850505", s).endswith("X"))
CADRES.append(("钱七", X_ID))


@dataclass
class CorpusFile:
    name: str
    expect: str  # "ok" or a SheetRejected code
    path: Path | None = None
    indicator_codes: list[str] = field(default_factory=lambda: list(CODES))
    quarterly: bool = False
    sheet: str | None = None
    rows: dict[str, dict[str, str | None]] = field(default_factory=dict)  # id -> code -> value
    error_rows: list[int] = field(default_factory=list)  # 1-based rows with an error
    note: str = ""


# --- a tiny xlsx writer: exact control over the XML (cached values, refs, DTDs) --------------

CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.sheet.main+xml"/>{extra}</Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def col_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_xml(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):  # ("formula", cached or None)
        formula, cached = value
        v = "" if cached is None else f"<v>{cached}</v>"
        return f'<c r="{ref}"><f>{escape(formula)}</f>{v}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def sheet_xml(
    rows: list[list], *, dimension: str | None = None, hidden: set[int] = frozenset(), extra=""
) -> str:
    parts = []
    for i, row in enumerate(rows, start=1):
        cells = "".join(cell_xml(f"{col_letters(c)}{i}", v) for c, v in enumerate(row, start=1))
        attr = ' hidden="1"' if i in hidden else ""
        parts.append(f'<row r="{i}"{attr}>{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {NS} {RNS}>{dim}'
        f"<sheetData>{''.join(parts)}{extra}</sheetData></worksheet>"
    )


def raw_xlsx(
    sheets: list[tuple[str, str]], *, members: dict[str, bytes | str] | None = None, prefix: str = ""
) -> bytes:
    """sheets: [(name, worksheet xml)]. ``members`` adds or replaces parts."""
    wb_sheets = "".join(
        f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, (n, _) in enumerate(sheets, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    files: dict[str, bytes | str] = {
        "[Content_Types].xml": CT.format(extra=overrides),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prefix}<workbook {NS} {RNS}>'
        f"<sheets>{wb_sheets}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
    }
    for i, (_, xml) in enumerate(sheets, 1):
        files[f"xl/worksheets/sheet{i}.xml"] = xml
    files.update(members or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            z.writestr(name, content.encode() if isinstance(content, str) else content)
    return out.getvalue()


HEADER = ["序号", "姓名", "身份证号", "单位", "职务", *CODES, "备注"]


def data_row(n: int, cadre, scores) -> list:
    name, number = cadre
    return [n, name, number, "城关镇", "镇长", *scores, ""]


def expected(cadre, scores) -> tuple[str, dict]:
    return cadre[1], {c: (None if s is None else str(s)) for c, s in zip(CODES, scores, strict=True)}


SCORES = [
    [90, 88, 85, 92, 95, 87],
    [80, 81.5, 82, 83, 84, 85],
    [70, 71, 72, 73, 74, 75],
]


def plain_rows(title=True) -> list[list]:
    rows = [["东岭县2025年度乡科级领导干部考核量化评分表"]] if title else []
    rows.append(HEADER)
    for n, (cadre, scores) in enumerate(zip(CADRES, SCORES, strict=False), start=1):
        rows.append(data_row(n, cadre, scores))
    return rows


def plain_expect() -> dict:
    return dict(expected(c, s) for c, s in zip(CADRES, SCORES, strict=False))


# --- raw zip surgery for lying archives --------------------------------------------------------


def zip_with_lies(members: list[tuple[str, bytes, int]]) -> bytes:
    """Deflated members whose directory declares ``declared`` bytes instead of the real size."""
    out = io.BytesIO()
    central = []
    for name, content, declared in members:
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = comp.compress(content) + comp.flush()
        crc = zlib.crc32(content[:declared]) if declared < len(content) else zlib.crc32(content)
        offset = out.tell()
        raw_name = name.encode()
        out.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), declared, len(raw_name), 0
            )
        )
        out.write(raw_name + data)
        central.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                declared,
                len(raw_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw_name
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def set_zip_flags(data: bytes, flag: int = 0, method: int | None = None) -> bytes:
    """Patch every header's general-purpose flag (and compression method)."""
    buf = bytearray(data)
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        pos = buf.find(sig)
        while pos >= 0:
            struct.pack_into("<H", buf, pos + flag_at, flag)
            if method is not None:
                struct.pack_into("<H", buf, pos + method_at, method)
            pos = buf.find(sig, pos + 4)
    return bytes(buf)


# --- the corpus ------------------------------------------------------------------------------


def build_corpus(path) -> list[CorpusFile]:
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    files: list[CorpusFile] = []

    def add(name: str, content: bytes | None, expect: str, **kw) -> CorpusFile:
        item = CorpusFile(name=name, expect=expect, path=out / name, **kw)
        if content is not None:
            item.path.write_bytes(content)
        files.append(item)
        return item

    # --- sheets as people make them (all must be read) ---
    add("01_plain_title_row.xlsx", _openpyxl(plain_rows()), "ok", rows=plain_expect())

    rows = [
        ["东岭县2025年度考核量化评分表"],
        ["填报单位：城关镇", None, None, "填报日期：2025年12月1日"],
        [],
        HEADER,
    ]
    rows += [data_row(1, CADRES[0], SCORES[0]), [], data_row(2, CADRES[1], SCORES[1])]
    rows += [
        data_row(3, CADRES[2], SCORES[2]),
        [None, "合计", None, None, None, 240, 240.5, 239, 248, 253, 247],
    ]
    rows += [[None, "平均", None, None, None, 80, 80.2, 79.7, 82.7, 84.3, 82.3]]
    add(
        "02_header_row4_blank_rows_total.xlsx",
        raw_xlsx([("Sheet1", sheet_xml(rows, hidden={7}))]),
        "ok",
        rows=plain_expect(),
        note="title + subtitle + blank row, a blank row in the middle, a hidden row, 合计/平均 rows",
    )

    two = [
        ["考核量化评分表"],
        ["序号", "姓名", "身份证号", "单位", "职务", "考核得分", None, None, None, None, None, "备注"],
    ]
    two.append(
        [
            None,
            None,
            None,
            None,
            None,
            "德（15%）",
            "能（15%）",
            "勤（15%）",
            "绩（30%）",
            "廉（10%）",
            "民主测评（15%）",
            None,
        ]
    )
    two += [data_row(n, c, s) for n, (c, s) in enumerate(zip(CADRES, SCORES, strict=False), 1)]
    add(
        "03_two_row_header.xlsx",
        _openpyxl(two, merges=["F2:K2", "A2:A3", "B2:B3", "C2:C3"]),
        "ok",
        rows=plain_expect(),
    )

    variant = [
        [
            "身 份 证 号 ",
            "姓　名",
            "联系电话",
            "民主测评(15%)",
            "德 （15%）",
            "能",
            "勤分",
            "绩",
            "廉",
            "工作单位",
        ]
    ]
    for c, s in zip(CADRES, SCORES, strict=False):
        variant.append([c[1], c[0], "13800000000", s[5], s[0], s[1], s[2], s[3], s[4], "城关镇"])
    add("04_reordered_variants_extra_columns.xlsx", _openpyxl(variant), "ok", rows=plain_expect())

    text_scores = [HEADER]
    text_scores.append(data_row(1, CADRES[0], ["85", "85分", "８５", "—", None, "-"]))
    text_scores.append(data_row(2, CADRES[1], [" 90 ", "８０．５", "88 分", "", "–", 70]))
    add(
        "05_scores_as_text.xlsx",
        _openpyxl(text_scores),
        "ok",
        rows={
            CADRES[0][1]: {"德": "85", "能": "85", "勤": "85", "绩": None, "廉": None, "民主测评": None},
            CADRES[1][1]: {"德": "90", "能": "80.5", "勤": "88", "绩": None, "廉": None, "民主测评": "70"},
        },
    )

    formulas = [HEADER]
    formulas.append(data_row(1, CADRES[0], [("80+5", 85), ("AVERAGE(1,2)", 1.5), 70, 70, 70, 70]))
    formulas.append(data_row(2, CADRES[1], [("80+10", None), 60, 60, 60, 60, 60]))
    add(
        "06_formulas_cached_and_uncached.xlsx",
        raw_xlsx([("评分表", sheet_xml(formulas))]),
        "ok",
        rows={CADRES[0][1]: {"德": "85", "能": "1.5", "勤": "70", "绩": "70", "廉": "70", "民主测评": "70"}},
        error_rows=[3],
        note="row 3: 德 is a formula without a cached value",
    )

    gbk = "\r\n".join(
        ",".join(str(v) for v in [c[0], c[1], "城关镇", *s]) for c, s in zip(CADRES, SCORES, strict=False)
    )
    add(
        "07_gbk.csv",
        ("姓名,身份证号,单位," + ",".join(CODES) + "\r\n" + gbk + "\r\n").encode("gbk"),
        "ok",
        rows=plain_expect(),
    )
    add(
        "08_utf8_bom.csv",
        (
            "\ufeff序号,姓名,身份证号,德,能,勤,绩,廉,民主测评\n"
            + "\n".join(
                ",".join(str(v) for v in [n, c[0], c[1], *s])
                for n, (c, s) in enumerate(zip(CADRES, SCORES, strict=False), 1)
            )
        ).encode("utf-8"),
        "ok",
        rows=plain_expect(),
    )
    add(
        "09_utf16_tab.csv",
        (
            "姓名\t身份证号\t"
            + "\t".join(CODES)
            + "\r\n"
            + "\r\n".join(
                "\t".join(str(v) for v in [c[0], c[1], *s]) for c, s in zip(CADRES, SCORES, strict=False)
            )
        ).encode("utf-16"),
        "ok",
        rows=plain_expect(),
        note="Excel's 'Unicode text' export",
    )

    macro_ct = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    xlsm = raw_xlsx(
        [("评分表", sheet_xml(plain_rows()))],
        members={
            "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b'Attribute VB_Name = "Module1"\r\nSub Auto_Open()\r\nShell "calc"\r\nEnd Sub' * 4,
        },
    )
    xlsm = _patch_member(
        xlsm,
        "[Content_Types].xml",
        lambda t: t.replace(b'<Default Extension="xml"', macro_ct.encode() + b'<Default Extension="xml"'),
    )
    add("10_macro.xlsm", xlsm, "ok", rows=plain_expect(), note="a vbaProject with Auto_Open: never run")

    notes = [["填表说明"], ["1. 身份证号请按文本填写。"], ["2. 分数为 0–100。"]]
    add(
        "11_wrong_sheet_first.xlsx",
        raw_xlsx([("填表说明", sheet_xml(notes)), ("评分表", sheet_xml(plain_rows()))]),
        "ok",
        rows=plain_expect(),
    )

    ids = [HEADER]
    ids.append(data_row(1, ("张三", 430121198001010000), SCORES[0]))  # a number: digits lost
    ids.append(data_row(2, ("李四", "4.30121E+17"), SCORES[1]))  # text copied from the display
    ids.append(
        data_row(3, ("王五", " " + CADRES[2][1][:6] + " " + CADRES[2][1][6:] + " "), SCORES[2])
    )  # spaces
    full = CADRES[3][1].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    ids.append(data_row(4, ("赵六", full), SCORES[0]))
    ids.append(data_row(5, ("钱七", X_ID.lower()), SCORES[1]))
    ids.append(
        data_row(6, ("孙八", CADRES[0][1][:17] + ("1" if CADRES[0][1][17] != "1" else "2")), SCORES[2])
    )  # check digit
    ids.append(data_row(7, ("周九", CADRES[0][1][:16]), SCORES[2]))  # too short
    add(
        "12_id_numbers.xlsx",
        _openpyxl(ids),
        "ok",
        rows={
            CADRES[2][1]: expected(CADRES[2], SCORES[2])[1],
            CADRES[3][1]: expected(CADRES[3], SCORES[0])[1],
            X_ID: expected(CADRES[4], SCORES[1])[1],
        },
        error_rows=[2, 3, 7, 8],
        note="numeric ID and 4.30121E+17 text are rejected, never matched; spaces/full-width/x are fine",
    )

    dup = [
        HEADER,
        data_row(1, CADRES[0], SCORES[0]),
        data_row(2, CADRES[1], SCORES[1]),
        data_row(3, CADRES[0], SCORES[2]),
    ]
    add(
        "13_duplicate_cadre.xlsx",
        _openpyxl(dup),
        "ok",
        rows={CADRES[1][1]: expected(CADRES[1], SCORES[1])[1]},
        error_rows=[2, 4],
    )

    quarter = [
        ["城关镇2025年第一季度平时考核评分表"],
        ["序号", "姓名", "身份证号", "单位", "季度", "等次", "得分", "备注"],
    ]
    quarter.append([1, CADRES[0][0], CADRES[0][1], "城关镇", "第一季度", "好", 92, ""])
    quarter.append([2, CADRES[1][0], CADRES[1][1], "城关镇", 1, "较好", "85分", ""])
    add(
        "14_quarterly.xlsx",
        _openpyxl(quarter),
        "ok",
        indicator_codes=list(QUARTER_CODES),
        quarterly=True,
        rows={CADRES[0][1]: {"得分": "92"}, CADRES[1][1]: {"得分": "85"}},
    )

    add(
        "15_dimension_claims_xfd1048576.xlsx",
        raw_xlsx([("Sheet1", sheet_xml(plain_rows(), dimension="A1:XFD1048576"))]),
        "ok",
        rows=plain_expect(),
        note="only the <dimension> lies: calamine does not allocate by it, the real cells are read",
    )

    # --- refused ---
    far = sheet_xml(plain_rows(), extra='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    add("20_cell_at_xfd1048576.xlsx", raw_xlsx([("Sheet1", far)]), "huge_range")
    wide = sheet_xml(
        plain_rows(), extra='<row r="100"><c r="AAA100"><v>1</v></c><c r="ZZZ100"><v>1</v></c></row>'
    )
    add("21_far_column.xlsx", raw_xlsx([("Sheet1", wide)]), "huge_range")
    many = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'
        + "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 200_102))
        + "</sheetData></worksheet>"
    )
    add("22_too_many_rows.xlsx", raw_xlsx([("Sheet1", many)]), "too_many_rows")

    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
        )
        + f']><sst {NS} count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    add(
        "23_billion_laughs.xlsx",
        raw_xlsx([("Sheet1", sheet_xml(plain_rows()))], members={"xl/sharedStrings.xml": laughs}),
        "xml_bomb",
    )
    xxe = '<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    add("24_external_entity.xlsx", raw_xlsx([("Sheet1", sheet_xml(plain_rows()))], prefix=xxe), "xml_bomb")

    bomb = out / "25_zip_bomb_300mb_zeros.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        base = zipfile.ZipFile(io.BytesIO(raw_xlsx([("Sheet1", sheet_xml(plain_rows()))])))
        for info in base.infolist():
            z.writestr(info.filename, base.read(info.filename))
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            zeros = b"\0" * (1 << 20)
            for _ in range(300):
                f.write(zeros)
    add(bomb.name, None, "zip_bomb", note="300 MB of zeros declared in the directory")
    ratio = raw_xlsx([("Sheet1", sheet_xml(plain_rows()))], members={"xl/styles.xml": b" " * (20 << 20)})
    add("26_zip_bomb_ratio.xlsx", ratio, "zip_bomb", note="a 20 MB member compressed 1000:1")
    base = zipfile.ZipFile(io.BytesIO(raw_xlsx([("Sheet1", sheet_xml(plain_rows()))])))
    members = [(i.filename, base.read(i.filename), i.file_size) for i in base.infolist()]
    members.append(("xl/sharedStrings.xml", b"<sst>" + b" " * (64 << 20) + b"</sst>", 2000))
    lying = zip_with_lies(members)
    add("27_zip_sizes_lie.xlsx", lying, "zip_bomb", note="sharedStrings declares 2 KB, inflates to 64 MB")

    add("28_password_protected.xlsx", _encrypted(_openpyxl(plain_rows())), "encrypted")
    add("29_zip_encrypted_members.xlsx", set_zip_flags(_openpyxl(plain_rows()), flag=1), "encrypted")

    big = out / "30_upload_200mb.xlsx"
    with open(big, "wb") as f:
        f.write(_openpyxl(plain_rows()))
        f.truncate(200 * 1024 * 1024 + 1)  # sparse: no 200 MB written
    add(big.name, None, "too_large")

    add(
        "31_pdf_renamed.xlsx",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "not_spreadsheet",
    )
    add("32_png_renamed.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not_spreadsheet")
    add("33_random_bytes.xlsx", bytes((i * 7919 + 13) % 251 for i in range(4096)), "not_spreadsheet")
    add("34_empty.xlsx", b"", "not_spreadsheet")
    whole = _openpyxl(plain_rows())
    add("35_truncated.xlsx", whole[: len(whole) // 2], "not_spreadsheet")
    add("36_word.docx", _docx(), "not_spreadsheet")
    add("37_word_renamed.xlsx", _docx(), "not_spreadsheet")
    add(
        "38_title_only_no_header.xlsx",
        _openpyxl([["东岭县2025年度考核量化评分表"], [], ["（空表）"]]),
        "no_header",
    )
    add("39_bad_encoding.csv", b"\xff\xff\x80" + "姓名".encode("gbk") + b"\x80\xff,\x81\n", "bad_encoding")
    add(
        "40_html_as_xls.xls",
        "<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode(),
        "not_spreadsheet",
    )
    add(
        "41_xlsb.xlsx",
        _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00"}),
        "not_spreadsheet",
    )
    add(
        "42_ods.xlsx",
        _zip(
            {
                "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": b"<office:document-content/>",
            }
        ),
        "not_spreadsheet",
    )
    add("43_unknown_compression.xlsx", set_zip_flags(_openpyxl(plain_rows()), method=12), "not_spreadsheet")
    add("44_ole_not_excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, "not_spreadsheet")
    add("45_csv_with_nul.csv", b"\x00\x01\x02PK binary" * 20, "bad_encoding")

    add("46_legacy.xls", _xls(plain_rows()), "ok", rows=plain_expect(), note="Excel 97-2003 (BIFF8)")
    add(
        "47_xls_far_cell.xls",
        _xls(plain_rows(), far=True),
        "huge_range",
        note="one cell at IV65536: calamine would build the whole 65,536 x 256 grid (1.2 GB)",
    )
    return files


def _xls(rows: list[list], far: bool = False) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("评分表")
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is not None:
                ws.write(r, c, value)
    if far:
        ws.write(65535, 255, "x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _openpyxl(rows: list[list], merges: list[str] = ()) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "评分表"
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            z.writestr(name, content)
    return out.getvalue()


def _docx() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "word/document.xml": '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>考核评分表</w:t></w:r></w:p></w:body></w:document>'.encode(),
        }
    )


def _patch_member(data: bytes, name: str, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            content = src.read(info.filename)
            z.writestr(info.filename, change(content) if info.filename == name else content)
    return out.getvalue()


def _encrypted(data: bytes) -> bytes:
    """An xlsx with an opening password (Agile encryption, as Excel writes it)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("123456", out)
    return out.getvalue()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/sheet_corpus.py OUTDIR")
    for item in build_corpus(sys.argv[1]):
        print(f"{item.expect:16} {item.name}")
