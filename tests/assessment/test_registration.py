"""公务员年度考核登记表: entering the texts (rules, scope, audit), the form as PDF (every section,
a rare Extension-B name rendered with a font that has it) and as Word, a unit's batch and its
results list as PDF, and the page shown when WeasyPrint's libraries are missing."""

import io
import re
import sys

import docx
import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Assessment, Period, PeriodStatus, RegistrationText
from assessment.services.registration import registration_save, registrations_of_unit
from audit.models import AuditEntry
from tests.factories import CadreFactory, make_period

RARE = "𠇔某"  # U+201D4, CJK Unified Ideographs Extension B
SECTIONS = [
    "姓名",
    "性别",
    "出生年月",
    "政治面貌",
    "任现职时间",
    "单位及职务",
    "从事或分管工作",
    "个人总结",
    "主管领导评语和考核等次建议",
    "机关负责人或考核委员会意见",
    "本人意见",
    "未确定等次或不参加考核情况说明",
]


@pytest.fixture
def period(db):
    return make_period(year=2025, status=PeriodStatus.PUBLISHED)


@pytest.fixture
def rare(tree, period):
    cadre = CadreFactory(unit=tree["town_a"], name=RARE, post_title="党委副书记")
    return Assessment.objects.create(
        period=period, cadre=cadre, unit=tree["town_a"], final_grade="优秀", grade_code=1, rank_in_unit=1
    )


@pytest.fixture
def outside(tree, period):
    cadre = CadreFactory(unit=tree["town_b"], name="乙外")
    return Assessment.objects.create(period=period, cadre=cadre, unit=tree["town_b"], final_grade="称职")


def flat(text: str) -> str:
    """Extracted text without the line breaks and spaces a table cell wraps its label with."""
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return reader, flat("".join(page.extract_text() for page in reader.pages))


def fonts_drawing(reader: pypdf.PdfReader, char: str) -> list[str]:
    """The embedded fonts whose ToUnicode map gives ``char`` a real glyph (not glyph 0, .notdef)."""
    code = char.encode("utf-16-be").hex()
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1").lower()
            for cid in re.findall(rf"<([0-9a-f]+)>\s*<{code}>", cmap):
                if int(cid, 16) != 0:
                    found.append(str(font["/BaseFont"]))
    return found


# ---------------------------------------------------------------- the service


def test_saving_the_texts_records_them_and_an_audit_entry(users, rare):
    text = registration_save(
        actor=users["staff"],
        assessment=rare,
        summary="  全年完成乡村振兴任务。\r\n二段  ",
        own_opinion="同意",
    )
    text.refresh_from_db()
    assert text.summary == "全年完成乡村振兴任务。\n二段"
    assert text.own_opinion == "同意"
    assert text.updated_by == users["staff"]
    entry = AuditEntry.objects.get(model="assessment.registrationtext")
    assert entry.cadre_id == rare.cadre_id
    assert entry.action == "create"


def test_saving_the_same_texts_again_writes_no_audit_entry_and_a_change_writes_one(users, rare):
    registration_save(actor=users["staff"], assessment=rare, summary="总结")
    registration_save(actor=users["staff"], assessment=rare, summary="总结")
    assert AuditEntry.objects.filter(model="assessment.registrationtext").count() == 1
    registration_save(actor=users["head"], assessment=rare, summary="总结（修改）")
    assert AuditEntry.objects.filter(model="assessment.registrationtext", action="update").count() == 1
    assert RegistrationText.objects.get().summary == "总结（修改）"


def test_an_empty_form_saved_first_creates_nothing(users, rare):
    registration_save(actor=users["staff"], assessment=rare, summary="", duty="")
    assert not RegistrationText.objects.exists()
    assert not AuditEntry.objects.filter(model="assessment.registrationtext").exists()


def test_a_role_without_manage_assessment_is_refused(users, rare):
    with pytest.raises(PermissionDenied, match="无权填写考核登记表"):
        registration_save(actor=users["county_admin"], assessment=rare, summary="x")
    assert not RegistrationText.objects.exists()


def test_a_cadre_outside_the_subtree_is_refused_and_the_level_above_may(users, outside):
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        registration_save(actor=users["staff"], assessment=outside, summary="x")
    registration_save(actor=users["city_staff"], assessment=outside, summary="市里填写")
    assert RegistrationText.objects.get().summary == "市里填写"


def test_texts_may_change_while_published_and_not_once_archived(users, rare, period):
    registration_save(actor=users["staff"], assessment=rare, summary="公布后填写")
    Period.objects.filter(pk=period.pk).update(status=PeriodStatus.ARCHIVED)
    with pytest.raises(ValidationError, match="已归档，考核登记表不能再修改"):
        registration_save(actor=users["staff"], assessment=rare, summary="归档后")
    assert RegistrationText.objects.get().summary == "公布后填写"


def test_a_quarterly_assessment_has_no_form(users, tree):
    quarter = make_period(year=2025, quarter=2, status=PeriodStatus.COLLECTING)
    a = Assessment.objects.create(
        period=quarter, cadre=CadreFactory(unit=tree["town_a"]), unit=tree["town_a"]
    )
    with pytest.raises(ValidationError, match="只用于年度考核"):
        registration_save(actor=users["staff"], assessment=a, summary="x")


def test_the_longest_summary_is_accepted_and_one_character_more_refused(users, rare):
    registration_save(actor=users["staff"], assessment=rare, summary="字" * 3000)
    with pytest.raises(ValidationError) as refused:
        registration_save(actor=users["staff"], assessment=rare, summary="字" * 3001, own_opinion="同意")
    assert refused.value.message_dict == {"summary": ["“个人总结”最多 3000 字，现有 3001 字。"]}
    text = RegistrationText.objects.get()
    assert len(text.summary) == 3000 and text.own_opinion == ""


def test_an_unknown_section_is_refused(users, rare):
    with pytest.raises(ValidationError, match="没有这些栏目：grade"):
        registration_save(actor=users["staff"], assessment=rare, grade="优秀")


def test_a_units_batch_is_read_in_one_query_whatever_its_size(
    users, tree, period, rare, outside, django_assert_num_queries
):
    for i in range(5):
        Assessment.objects.create(
            period=period, cadre=CadreFactory(unit=tree["town_a"], name=f"甲{i}"), unit=tree["town_a"]
        )
    registration_save(actor=users["staff"], assessment=rare, summary="总结")
    # one query: the assessments with their period, cadre, unit and texts joined, the unit label
    with django_assert_num_queries(1):
        forms = registrations_of_unit(users["staff"], period=period, unit=tree["county_a"])
    assert [f.name for f in forms][0] == RARE
    assert len(forms) == 6 and "乙外" not in [f.name for f in forms]
    assert forms[0].summary == "总结" and forms[1].summary == ""


# ---------------------------------------------------------------- the documents


def test_the_pdf_has_every_section_the_rare_name_its_font_and_the_grade(client, users, rare):
    registration_save(
        actor=users["staff"],
        assessment=rare,
        summary="全年完成乡村振兴任务。",
        leader_comment="建议评为优秀。",
        own_opinion="无异议。",
    )
    client.force_login(users["auditor"])  # a reader: downloads, does not edit
    response = client.get(reverse("assessment:registration_pdf", args=[rare.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''2025" in response["Content-Disposition"]
    reader, text = pdf_text(response.content)
    assert "公务员年度考核登记表" in text and "（2025年度）" in text
    for title in SECTIONS:
        assert title in text, title
    assert RARE in text
    assert "确定考核等次：优秀" in text
    assert "全年完成乡村振兴任务。" in text and "建议评为优秀。" in text and "无异议。" in text
    # 出生年月 only, the duty taken from the post, and never the ID number
    assert "1980年05月" in text and "1980-05-17" not in text
    assert "从事或分管工作党委副书记" in text
    assert rare.cadre.id_number not in text
    # 𠇔 is drawn with an embedded font that has it (Noto CJK or HanaMin), not a missing glyph
    drawn_by = fonts_drawing(reader, "𠇔")
    assert drawn_by and all(re.search(r"Noto-(Serif|Sans)-CJK|HanaMin", name) for name in drawn_by)


def test_the_word_form_reads_back_the_texts(client, users, rare):
    registration_save(
        actor=users["staff"], assessment=rare, summary="总结正文", committee_opinion="同意评为优秀"
    )
    client.force_login(users["staff"])
    response = client.get(reverse("assessment:registration_docx", args=[rare.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    document = docx.Document(io.BytesIO(response.content))
    cells = [cell.text for row in document.tables[0].rows for cell in row.cells]
    for title in SECTIONS:
        assert title in cells, title
    assert RARE in cells and "总结正文" in cells
    assert any("同意评为优秀" in c and "确定考核等次：优秀" in c for c in cells)


def test_the_batch_pdf_has_one_page_per_cadre_of_the_subtree(client, users, tree, period, rare, outside):
    for name in ("甲一", "甲二"):
        Assessment.objects.create(
            period=period, cadre=CadreFactory(unit=tree["town_a"], name=name), unit=tree["town_a"]
        )
    client.force_login(users["head"])
    response = client.get(reverse("assessment:unit_registrations_pdf", args=[period.pk, tree["county_a"].pk]))
    assert response.status_code == 200
    reader, text = pdf_text(response.content)
    assert len(reader.pages) == 3
    for page, name in zip(reader.pages, (RARE, "甲一", "甲二"), strict=True):
        assert f"姓名{name}" in flat(page.extract_text())
    assert "乙外" not in text


def test_the_batch_pdf_reads_the_same_number_of_queries_for_more_cadres(client, users, tree, period):
    client.force_login(users["staff"])
    url = reverse("assessment:unit_registrations_pdf", args=[period.pk, tree["town_a"].pk])
    counts = []
    for size in (1, 4):
        while Assessment.objects.filter(period=period).count() < size:
            Assessment.objects.create(
                period=period, cadre=CadreFactory(unit=tree["town_a"]), unit=tree["town_a"]
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_results_pdf_lists_the_rows_of_the_results_page_with_its_filter(
    client, users, tree, period, rare, outside
):
    Assessment.objects.create(
        period=period,
        cadre=CadreFactory(unit=tree["town_a"], name="甲称职"),
        unit=tree["town_a"],
        final_grade="称职",
    )
    client.force_login(users["api_reader"])
    url = reverse("assessment:results_pdf", args=[period.pk, tree["county_a"].pk])
    _, text = pdf_text(client.get(url).content)
    assert "甲县2025年度考核结果" in text
    assert RARE in text and "甲称职" in text and "乙外" not in text
    assert "共2人" in text
    _, filtered = pdf_text(client.get(url, {"grade": "优秀"}).content)
    assert RARE in filtered and "甲称职" not in filtered


def test_without_weasyprint_the_pdf_link_says_what_to_install(client, users, rare, tree, period, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # ``import weasyprint`` raises ImportError
    client.force_login(users["staff"])
    for url in (
        reverse("assessment:registration_pdf", args=[rare.pk]),
        reverse("assessment:unit_registrations_pdf", args=[period.pk, tree["town_a"].pk]),
        reverse("assessment:results_pdf", args=[period.pk, tree["town_a"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 503
        page = response.content.decode()
        assert (
            "需要安装 WeasyPrint 所需的系统库：apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fonts-hanazono"
            in page
        )
    # the Word form does not need it
    assert client.get(reverse("assessment:registration_docx", args=[rare.pk])).status_code == 200


def test_a_quarterly_result_has_no_form_to_download(client, users, tree):
    quarter = make_period(year=2025, quarter=2, status=PeriodStatus.PUBLISHED)
    a = Assessment.objects.create(
        period=quarter, cadre=CadreFactory(unit=tree["town_a"]), unit=tree["town_a"]
    )
    client.force_login(users["staff"])
    assert client.get(reverse("assessment:registration_pdf", args=[a.pk])).status_code == 404
    assert (
        client.get(
            reverse("assessment:unit_registrations_pdf", args=[quarter.pk, tree["town_a"].pk])
        ).status_code
        == 404
    )
    assert (
        "registration.pdf"
        not in client.get(reverse("assessment:assessment_detail", args=[a.pk])).content.decode()
    )


def test_downloads_outside_the_subtree_are_not_found(client, users, outside, period, tree):
    client.force_login(users["staff"])
    assert client.get(reverse("assessment:registration_pdf", args=[outside.pk])).status_code == 404
    assert (
        client.get(
            reverse("assessment:unit_registrations_pdf", args=[period.pk, tree["town_b"].pk])
        ).status_code
        == 404
    )


# ---------------------------------------------------------------- the pages


def test_the_texts_page_saves_and_returns_to_the_result(client, users, rare):
    client.force_login(users["staff"])
    url = reverse("assessment:registration_edit", args=[rare.pk])
    page = client.get(url).content.decode()
    assert "主管领导评语和考核等次建议" in page and "留空时使用现任职务“党委副书记”" in page
    response = client.post(url, {"summary": "页面填写的总结", "duty": "分管党建"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessment:assessment_detail", args=[rare.pk]
    )
    text = RegistrationText.objects.get()
    assert (text.summary, text.duty) == ("页面填写的总结", "分管党建")
    assert "页面填写的总结" in client.get(url).content.decode()


def test_the_texts_page_shows_a_too_long_text_as_an_error_and_saves_nothing(client, users, rare):
    client.force_login(users["staff"])
    response = client.post(
        reverse("assessment:registration_edit", args=[rare.pk]), {"own_opinion": "意" * 501}
    )
    assert response.status_code == 200
    assert "“本人意见”最多 500 字，现有 501 字。" in response.content.decode()
    assert not RegistrationText.objects.exists()


def test_the_texts_page_of_an_archived_period_says_why_and_takes_nothing(client, users, rare, period):
    Period.objects.filter(pk=period.pk).update(status=PeriodStatus.ARCHIVED)
    client.force_login(users["staff"])
    url = reverse("assessment:registration_edit", args=[rare.pk])
    assert "已归档，考核登记表不能再修改" in client.get(url).content.decode()
    client.post(url, {"summary": "x"})
    assert not RegistrationText.objects.exists()


def test_a_reader_gets_no_texts_page(client, users, rare):
    client.force_login(users["auditor"])
    assert client.get(reverse("assessment:registration_edit", args=[rare.pk])).status_code == 403


def test_the_result_page_results_page_and_profile_link_to_the_documents(client, users, rare, period, tree):
    client.force_login(users["staff"])
    pdf = reverse("assessment:registration_pdf", args=[rare.pk])
    detail = client.get(reverse("assessment:assessment_detail", args=[rare.pk])).content.decode()
    assert pdf in detail and reverse("assessment:registration_docx", args=[rare.pk]) in detail
    assert reverse("assessment:registration_edit", args=[rare.pk]) in detail
    results = client.get(reverse("assessment:results", args=[period.pk, tree["town_a"].pk])).content.decode()
    assert reverse("assessment:unit_registrations_pdf", args=[period.pk, tree["town_a"].pk]) in results
    assert reverse("assessment:results_pdf", args=[period.pk, tree["town_a"].pk]) in results
    assert pdf in client.get(reverse("cadres:detail", args=[rare.cadre_id])).content.decode()
    client.force_login(users["auditor"])
    detail = client.get(reverse("assessment:assessment_detail", args=[rare.pk])).content.decode()
    assert pdf in detail and reverse("assessment:registration_edit", args=[rare.pk]) not in detail


def test_a_batch_of_exactly_the_limit_prints_and_one_more_is_refused_with_where_to_go(
    client, users, tree, period, rare, monkeypatch
):
    from assessment import printing

    monkeypatch.setattr(printing, "BATCH_MAX_FORMS", 2)
    Assessment.objects.create(
        period=period, cadre=CadreFactory(unit=tree["town_a"], name="甲二"), unit=tree["town_a"]
    )
    client.force_login(users["staff"])
    url = reverse("assessment:unit_registrations_pdf", args=[period.pk, tree["county_a"].pk])
    results = reverse("assessment:results", args=[period.pk, tree["county_a"].pk])
    assert client.get(url).status_code == 200  # two forms: on the limit
    page = client.get(results).content.decode()
    assert url in page
    Assessment.objects.create(
        period=period, cadre=CadreFactory(unit=tree["town_a"], name="甲三"), unit=tree["town_a"]
    )
    response = client.get(url)
    assert response.status_code == 400
    text = response.content.decode()
    assert "共有 3 人的考核登记表" in text and "上限 2 人" in text and "下级单位" in text
    page = client.get(results).content.decode()
    assert url not in page and "超过一次 2 份的上限" in page
    # the township below still prints its own forms
    town = reverse("assessment:unit_registrations_pdf", args=[period.pk, tree["town_a"].pk])
    monkeypatch.setattr(printing, "BATCH_MAX_FORMS", 3)
    assert client.get(town).status_code == 200


def test_a_results_list_over_the_limit_is_refused_and_its_button_disabled(
    client, users, tree, period, rare, outside, monkeypatch
):
    from assessment import printing

    monkeypatch.setattr(printing, "RESULTS_MAX_ROWS", 1)
    client.force_login(users["city_staff"])
    url = reverse("assessment:results_pdf", args=[period.pk, tree["county_a"].pk])
    assert client.get(url).status_code == 200  # one row: on the limit
    city = reverse("assessment:results_pdf", args=[period.pk, tree["city"].pk])
    response = client.get(city)
    assert response.status_code == 400 and "共有 2 人的考核结果" in response.content.decode()
    page = client.get(reverse("assessment:results", args=[period.pk, tree["city"].pk])).content.decode()
    assert city not in page and "超过 1 人" in page
