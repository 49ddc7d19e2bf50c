"""Under the Content-Security-Policy (own scripts and styles only) the key pages load without a
single violation in a real browser, and what their scripts do still works: the grid's keyboard
navigation, the interview form following the chosen kind, the upload page's template link,
Swagger UI at /api/docs/ and the admin."""

import pytest

from accounts.roles import Role
from assessment.models import PeriodStatus
from assessment.services.periods import period_create, period_transition
from tests.e2e.conftest import login
from tests.factories import CadreFactory, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Playwright's init script is injected by the browser itself, which the policy does not govern.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation it reports (event and console) collected."""
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.csp_console = console
    return page


def visit(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__csp") + page.csp_console
    assert violations == [], (url, violations)


@pytest.fixture
def period(users, tree):
    for name in ("张三", "王五", "赵六"):
        CadreFactory(unit=tree["town_a"], name=name)
    actor = users["city_staff"]
    made = period_create(actor=actor, name="2025年度干部考核", year=2025)
    return period_transition(actor=actor, period=made, to=PeriodStatus.COLLECTING)


def test_key_pages_load_without_a_policy_violation_and_their_scripts_still_work(
    watched, live_server, users, tree, period
):
    page, base = watched, live_server.url
    login(page, live_server, "staff_a")
    town = tree["town_a"]

    cadre = tree["town_a"].cadres.first()
    for path in (
        "/",
        "/cadres/",
        f"/cadres/{cadre.pk}/",
        "/cadres/units/",
        f"/assessment/periods/{period.pk}/",
        f"/assessment/periods/{period.pk}/scheme/",
        "/supervision/",
    ):
        visit(page, base + path)
    visit(page, f"{base}/assessment/periods/{period.pk}/units/{town.pk}/results/")

    # the grid: Enter and the arrows move between rows of one column (static/assessment/grid.js)
    visit(page, f"{base}/assessment/periods/{period.pk}/units/{town.pk}/grid/")
    rows = page.locator("#score-grid tbody tr[data-cadre]").evaluate_all("rs => rs.map(r => r.dataset.cadre)")
    assert len(rows) == 3
    page.locator(f"input[name=s-{rows[0]}-0]").click()
    page.keyboard.type("90")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == f"s-{rows[1]}-0"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.name") == f"s-{rows[2]}-0"
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.name") == f"s-{rows[1]}-0"

    # the upload page's 下载模板 link follows the chosen period and unit
    visit(page, base + "/assessment/imports/upload/")
    page.select_option("select[name=t_unit]", str(town.pk))
    href = page.locator("#template-link").get_attribute("href")
    assert href == f"/api/v1/periods/{period.pk}/template.xlsx?unit={town.pk}"

    # the interview form retitles itself for a 约谈 proposal (static/js/interview_form.js)
    visit(page, base + "/supervision/new/")
    page.locator("input[name=kind][value=yuetan]").check()
    assert page.locator("#form-title").inner_text() == "提议约谈"
    assert page.locator("#submit-button").inner_text().strip() == "提交约谈提议"

    # Swagger UI renders from its own files
    visit(page, base + "/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "干部考核管理系统 API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.evaluate("window.__csp") + page.csp_console == []
    assert page.foreign_requests == []


def test_the_admin_loads_without_a_policy_violation(watched, live_server, tree):
    make_user("root", Role.STAFF, tree["city"], is_staff=True, is_superuser=True)
    login(watched, live_server, "root")
    visit(watched, live_server.url + "/admin/")
    visit(watched, live_server.url + "/admin/accounts/user/")
    visit(watched, live_server.url + "/admin/accounts/user/add/")
