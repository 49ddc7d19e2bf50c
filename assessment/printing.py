"""Printable documents: the 公务员年度考核登记表 (PDF and Word) and a unit's results list (PDF).

PDFs are rendered from HTML templates (templates/assessment/print/) by WeasyPrint, which needs
Pango and fonts from the system. WeasyPrint is imported only here and only when a PDF is asked
for, so a machine without Pango still serves every other page; the PDF link then answers a page
saying what to install (``PrintUnavailable``).

Fonts: Noto Serif/Sans CJK (Debian fonts-noto-cjk) for the text, HanaMin (fonts-hanazono) for
what Noto lacks in CJK Extension B and beyond (rare name characters such as 𠇔).
"""

import io
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

INSTALL_HINT = "需要安装 WeasyPrint 所需的系统库：apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fonts-hanazono"
STYLESHEET = Path(settings.BASE_DIR) / "templates" / "assessment" / "print" / "document.css"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# (attribute of RegistrationForm, the section's official title), in the form's order
SECTIONS = (
    ("summary", "个人总结"),
    ("leader_comment", "主管领导评语和考核等次建议"),
    ("committee_opinion", "机关负责人或考核委员会意见"),
    ("own_opinion", "本人意见"),
    ("ungraded_note", "未确定等次或不参加考核情况说明"),
)
SIGNATURES = {
    "leader_comment": "签名：　　　　　　　　年　　月　　日",
    "committee_opinion": "签名（盖章）：　　　　　　　　年　　月　　日",
    "own_opinion": "签名：　　　　　　　　年　　月　　日",
}


class PrintUnavailable(Exception):
    """WeasyPrint or the system libraries it loads (Pango) are missing."""

    def __init__(self, detail: str = ""):
        super().__init__(INSTALL_HINT)
        self.detail = detail


def _weasyprint():
    try:
        import weasyprint  # here, not at the top: loads Pango through ctypes; only when a PDF is asked for
    except (ImportError, OSError) as exc:  # OSError: the module is there, libpango is not
        raise PrintUnavailable(str(exc)) from None
    return weasyprint


def render_pdf(template: str, context: dict) -> bytes:
    weasyprint = _weasyprint()
    html = render_to_string(template, context)
    try:
        document = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR))
        return document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])
    except OSError as exc:  # a library WeasyPrint loads lazily (fontconfig, harfbuzz) is missing
        raise PrintUnavailable(str(exc)) from None


def _sections(form) -> list[dict]:
    return [
        {"title": title, "text": getattr(form, name), "signature": SIGNATURES.get(name, ""), "name": name}
        for name, title in SECTIONS
    ]


# What one request may print: WeasyPrint lays out a 考核登记表 in about 0.1–0.2 s on the 2-core
# machine, so a county's 28,000 forms would hold a web worker for an hour. Larger sets are
# printed unit by unit (a township or a department at a time); the pages say so before a click.
BATCH_MAX_FORMS = 200
RESULTS_MAX_ROWS = 3000


def registration_pdf(forms: list) -> bytes:
    """One form per page (a long 个人总结 continues on the next page; the next form starts on
    a new one)."""
    return render_pdf(
        "assessment/print/registration.html",
        {"forms": [{"form": f, "sections": _sections(f)} for f in forms]},
    )


def results_pdf(*, period, unit, rows, distribution, title: str) -> bytes:
    return render_pdf(
        "assessment/print/results.html",
        {"period": period, "unit": unit, "rows": rows, "distribution": distribution, "title": title},
    )


def registration_docx(form) -> bytes:
    """The same form as a Word table, for departments that edit it before printing."""
    from docx import Document  # only the .docx download needs python-docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name = "宋体"
    normal.font.size = Pt(11)
    # Word picks the East Asian font from eastAsia; SimSun-ExtB covers Extension B names
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("公务员年度考核登记表")
    run.bold = True
    run.font.size = Pt(18)
    year = doc.add_paragraph(f"（{form.year}年度）")
    year.alignment = WD_ALIGN_PARAGRAPH.CENTER

    table = doc.add_table(rows=0, cols=6)
    table.style = "Table Grid"

    def row(*pairs):
        cells = table.add_row().cells
        col = 0
        for label, value, span in pairs:
            cells[col].text = label
            cells[col].paragraphs[0].runs[0].bold = True
            target = cells[col + 1]
            if span > 1:
                target = target.merge(cells[col + span])
            target.text = value or ""
            col += span + 1

    row(("姓名", form.name, 1), ("性别", form.gender, 1), ("出生年月", form.birth, 1))
    row(("政治面貌", form.political_status, 1), ("任现职时间", form.post_since, 3))
    row(("单位及职务", form.unit_and_post, 5))
    row(("从事或分管工作", form.duty, 5))
    for item in _sections(form):
        cells = table.add_row().cells
        cells[0].text = item["title"]
        cells[0].paragraphs[0].runs[0].bold = True
        body = cells[1].merge(cells[5])
        body.text = item["text"] or ""
        if item["name"] == "committee_opinion":
            body.add_paragraph(f"确定考核等次：{form.grade or '未评定'}")
        if item["signature"]:
            sign = body.add_paragraph(item["signature"])
            sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
