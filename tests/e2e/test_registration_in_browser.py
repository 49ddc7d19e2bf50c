"""Staff fills in a cadre's 考核登记表 texts in the browser, then downloads the form through the
result page's PDF link; the saved file's text (pypdf) holds every section, the rare name and
the texts typed."""

import io
import re

import pypdf
import pytest

from assessment.models import Assessment, PeriodStatus
from tests.e2e.conftest import login
from tests.factories import CadreFactory, make_period

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAME = "𠇔某"  # CJK Extension B
SECTIONS = [
    "姓名",
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


def test_staff_fills_in_the_form_and_downloads_it_as_pdf(page, live_server, users, tree, tmp_path):
    period = make_period(year=2025, status=PeriodStatus.PUBLISHED)
    cadre = CadreFactory(unit=tree["town_a"], name=NAME)
    a = Assessment.objects.create(
        period=period, cadre=cadre, unit=tree["town_a"], final_grade="优秀", grade_code=1
    )

    login(page, live_server, "staff_a")
    page.goto(f"{live_server.url}/assessment/assessments/{a.pk}/")
    page.get_by_role("link", name="填写登记表").click()
    page.get_by_label("个人总结").fill("全年完成乡村振兴任务。")
    page.get_by_label("本人意见").fill("无异议。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(rf"/assessment/assessments/{a.pk}/$"))
    assert "考核登记表已保存" in page.content()

    with page.expect_download() as info:
        page.get_by_role("link", name="下载登记表 PDF").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / "form.pdf"
    download.save_as(saved)

    reader = pypdf.PdfReader(io.BytesIO(saved.read_bytes()))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "公务员年度考核登记表" in text
    for title in SECTIONS:
        assert title in text, title
    assert f"姓名{NAME}" in text
    assert "全年完成乡村振兴任务。" in text and "无异议。" in text
    assert "确定考核等次：优秀" in text
    assert page.foreign_requests == []
