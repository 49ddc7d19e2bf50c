"""The home page's charts in a real browser: ECharts (served from this site) draws every chart
on a canvas at 1366 px and at 390 px (one column), without a console error or a CSP violation,
follows a resize of the window, and a click on a bar opens the list behind it."""

from decimal import Decimal

import pytest

from assessment.models import Assessment
from tests.e2e.conftest import login
from tests.e2e.test_csp_in_browser import RECORD_VIOLATIONS
from tests.factories import CadreFactory, make_period

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def graded(users, tree):
    published = make_period(year=2025, status="published")
    open_period = make_period(year=2026, status="collecting")
    for unit, grades in ((tree["town_a"], ["优秀", "称职", "称职"]), (tree["town_b"], ["称职", "基本称职"])):
        for grade in grades:
            cadre = CadreFactory(unit=unit)
            Assessment.objects.create(period=published, cadre=cadre, unit=unit, final_grade=grade)
            Assessment.objects.create(period=open_period, cadre=cadre, unit=unit, total_score=Decimal("88"))
    return published


def _watch(page):
    page.add_init_script(RECORD_VIOLATIONS)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _charts_drawn(page) -> int:
    page.wait_for_function(
        "document.querySelectorAll('[data-chart-source]').length > 0 && "
        "[...document.querySelectorAll('[data-chart-source]')].every(b => b.querySelector('canvas'))"
    )
    return page.locator("[data-chart-source] canvas").count()


@pytest.mark.parametrize("width", [1366, 390])
def test_the_charts_draw_without_errors_or_policy_violations(page, live_server, users, graded, width):
    errors = _watch(page)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "city_staff")
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    boxes = page.locator("[data-chart-source]").count()
    assert boxes >= 4  # grades by county, by year, scoring progress, 约谈, recall, work orders
    assert _charts_drawn(page) >= boxes
    chart_width = page.locator("[data-chart-source='chart-grades-by-unit'] canvas").first.bounding_box()[
        "width"
    ]
    assert 0 < chart_width <= width
    if width == 390:  # one column: the charts take the page's width, nothing overflows
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("window.__csp") == []
    assert errors == []
    assert page.foreign_requests == []  # ECharts comes from this site, not a CDN


def test_charts_follow_a_resize_and_a_bar_opens_its_list(page, live_server, users, graded, tree):
    errors = _watch(page)
    login(page, live_server, "city_staff")
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    _charts_drawn(page)
    box = page.locator("[data-chart-source='chart-grades-by-unit']")
    wide = box.locator("canvas").first.bounding_box()["width"]
    page.set_viewport_size({"width": 390, "height": 900})
    narrow = wide
    for _ in range(30):  # the script redraws 100 ms after the last resize event
        page.wait_for_timeout(100)
        narrow = box.locator("canvas").first.bounding_box()["width"]
        if narrow < wide:
            break
    assert narrow < wide and narrow <= 390
    page.set_viewport_size({"width": 1366, "height": 900})
    page.wait_for_timeout(300)
    box.scroll_into_view_if_needed()
    # click the middle of 甲县's 称职 segment (series 1: 优秀 1 below, 称职 2 above it)
    x, y = page.evaluate(
        "() => { const el = document.querySelector(\"[data-chart-source='chart-grades-by-unit']\");"
        " return echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 1}, [0, 2]); }"
    )
    rect = box.bounding_box()
    page.mouse.move(rect["x"] + x, rect["y"] + y)  # the tooltip (drawn on the canvas)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__csp") == [] and errors == []
    page.mouse.click(rect["x"] + x, rect["y"] + y)
    page.wait_for_url(
        f"**/assessment/periods/{graded.pk}/units/{tree['county_a'].pk}/results/?grade=%E7%A7%B0%E8%81%8C"
    )
    assert errors == []
