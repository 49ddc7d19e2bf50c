"""What a user meets at once on the assessment pages: titles that say 考核 once, breadcrumbs
that are links, and when a period was published."""

import datetime
import io
import re
from urllib.parse import unquote

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessment.models import Period, PeriodStatus
from assessment.services.periods import period_create
from tests.assessment.test_results_page import graded, staff  # noqa: F401  (fixtures)


def test_a_period_title_says_kaohe_once():
    assert Period(name="2026年度考核").titled("考核结果") == "2026年度考核结果"
    assert Period(name="2025年度干部考核").titled("考核等次") == "2025年度干部考核等次"
    assert Period(name="2026年度").titled("考核结果") == "2026年度考核结果"


def test_the_results_page_is_not_titled_kaohe_kaohe(staff, tree, graded):  # noqa: F811
    assert graded.name == "2025年度考核"
    html = staff.get(reverse("assessment:results", args=[graded.pk, tree["town_a"].pk])).content.decode()
    assert "2025年度考核考核结果" not in html
    assert "2025年度考核结果" in html


def test_the_xlsx_report_is_not_named_kaohe_kaohe(staff, tree, graded):  # noqa: F811
    response = staff.get(f"/api/v1/grade-reports/?period={graded.pk}&unit={tree['town_a'].pk}&format=xlsx")
    filename = unquote(response["Content-Disposition"])
    assert "考核考核" not in filename
    assert "2025年度考核等次-甲镇.xlsx" in filename
    title = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active["A1"].value
    assert "考核考核" not in title


def test_every_breadcrumb_but_the_current_page_is_a_link(staff, tree, graded):  # noqa: F811
    pages = [
        reverse("assessment:results", args=[graded.pk, tree["town_a"].pk]),
        reverse("assessment:period_detail", args=[graded.pk]),
        reverse("assessment:grid", args=[graded.pk, tree["town_a"].pk]),
        reverse("assessment:scheme", args=[graded.pk]),
        reverse("cadres:unit_detail", args=[tree["town_a"].pk]),
        reverse("supervision:sanction_list"),
    ]
    for url in pages:
        html = staff.get(url).content.decode()
        crumbs = re.findall(r'<li class="breadcrumb-item( active)?"[^>]*>(.*?)</li>', html, re.S)
        assert crumbs, url
        for active, inner in crumbs:
            assert active or inner.strip().startswith("<a "), (url, inner)


def test_published_quarterly_periods_show_when_they_were_published(client, users):
    actor = users["city_staff"]
    period = period_create(actor=actor, name="2026年第1季度平时考核", year=2026, quarter=1)
    moment = datetime.datetime(2026, 4, 15, 2, 30, tzinfo=datetime.UTC)
    Period.objects.filter(pk=period.pk).update(status=PeriodStatus.PUBLISHED, published_at=moment)
    client.force_login(actor)
    local = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")  # 2026-04-15 10:30
    assert local in client.get(reverse("assessment:periods")).content.decode()
    assert (
        f"公布于 {local}"
        in client.get(reverse("assessment:period_detail", args=[period.pk])).content.decode()
    )
