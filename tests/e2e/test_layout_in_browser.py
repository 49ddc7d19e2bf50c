"""Every page fits the screen: at 390 px (a phone) and at 1366×768 no page scrolls sideways
(wide tables scroll inside their card), the sidebar is a menu opened from the topbar's button on
the phone and a column beside the content on the laptop. Screenshots of each page go to
$E2E_OUTPUT_DIR (default /tmp/e2e-output/layout) for a person to look over."""

import importlib
import os
import pathlib

import pytest
from django.db import transaction
from django.urls import reverse

from supervision.models import InterviewReason
from supervision.services import interviews
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OUTPUT = pathlib.Path(os.environ.get("E2E_OUTPUT_DIR", "/tmp/e2e-output")) / "layout"
PHONE = {"width": 390, "height": 800}
LAPTOP = {"width": 1366, "height": 768}
IN = "town_a1"  # 甲一镇, inside both users' scope


def sweep(w) -> dict[str, str]:
    """The pages to visit: name → path."""
    period, unit = w.period.pk, w.units[IN].pk
    return {
        "home": reverse("home"),
        "cadre_list": reverse("cadres:list"),
        "profile": reverse("cadres:detail", args=[w.cadres[IN].pk]),
        "units": reverse("cadres:units"),
        "periods": reverse("assessment:periods"),
        "results": reverse("assessment:results", args=[period, unit]),
        "grid": reverse("assessment:grid", args=[period, unit]),
        "interviews": reverse("supervision:interviews"),
        "interview": reverse("supervision:interview_detail", args=[w.interviews[IN].pk]),
        "yuetan": reverse("supervision:interview_detail", args=[w.yuetan.pk]),
        "recall_cases": reverse("recall:cases"),
        "flags": reverse("recall:flags"),
        "incentives": reverse("incentives:home"),
        "workorders": reverse("workorders:home"),
        "workorder": reverse("workorders:order_detail", args=[w.wo_orders[IN].pk]),
        "audit": reverse("audit:list"),
        "search": reverse("cadres:search") + "?q=zs",
    }


@pytest.fixture
def layout_world(transactional_db, settings, tmp_path):
    """The permission matrix's world (one of everything in every unit) and the objects of
    every rows_*.py (work orders ...), built in one transaction as the matrix builds it: its recomputations then run after the
    rows they read are there, not in between."""
    # the matrix module first (it loads the rows_*.py modules, which import it back)
    importlib.import_module("tests.permissions.test_permission_matrix")
    from tests.permissions import conftest as matrix  # builds every rows_*.py's objects too
    from tests.scope import conftest as scope

    with transaction.atomic():
        w = scope.world.__wrapped__(transactional_db, settings, tmp_path)
        w = matrix.matrix_world.__wrapped__(w)
        # a 约谈 one step in, for its stepper
        w.yuetan = interviews.yuetan_propose(
            actor=w.users["city_staff"],
            subject_type="cadre",
            cadre=w.cadres[IN],
            reasons=[InterviewReason.objects.filter(audience="leader").first()],
        )
        interviews.yuetan_approve(actor=w.users["city_head"], interview=w.yuetan)
        return w


# The elements reaching past the right edge whose children do not: what makes a page too wide.
OFFENDERS = """() => {
  const limit = document.scrollingElement.clientWidth + 1;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.getBoundingClientRect().right <= limit) continue;
    if ([...el.children].some(c => c.getBoundingClientRect().right > limit)) continue;
    if (el.closest(".table-responsive, .offcanvas-lg")) continue;
    out.push(el.tagName.toLowerCase() + "." + [...el.classList].join(".") + " " + (el.textContent || "").trim().slice(0, 30));
    if (out.length >= 5) break;
  }
  return out;
}"""


def overflow(page) -> tuple[int, int]:
    return page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")


@pytest.mark.parametrize(
    "username, skip",
    [
        ("city_staff", set()),  # 组织部 staff of the whole city
        ("county_county_admin", {"audit"}),  # a county's administrator (no audit trail)
    ],
)
def test_no_page_scrolls_sideways_on_a_phone_or_a_laptop(page, live_server, layout_world, username, skip):
    login(page, live_server, username)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    wide = []
    for size_name, size in (("390", PHONE), ("1366", LAPTOP)):
        page.set_viewport_size(size)
        for name, path in sweep(layout_world).items():
            if name in skip:
                continue
            response = page.goto(live_server.url + path)
            assert response.status == 200, (name, response.status)
            page.wait_for_load_state("load")
            scroll, client = overflow(page)
            page.screenshot(path=str(OUTPUT / f"{username}-{size_name}-{name}.png"), full_page=True)
            if scroll > client:
                wide.append((size_name, name, scroll, client, page.evaluate(OFFENDERS)))
    assert wide == [], wide


def test_the_menu_button_opens_the_sidebar_on_a_phone_only(page, live_server, layout_world):
    login(page, live_server, "city_staff")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("cadres:list"))
    button = page.locator("button[aria-controls=sidebar]")
    sidebar = page.locator("#sidebar")
    assert button.is_visible() and not sidebar.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    sidebar.locator("a.nav-link", has_text="干部名册").wait_for(state="visible")
    assert button.get_attribute("aria-expanded") == "true"
    page.locator("#sidebar.show:not(.showing)").wait_for()  # opened (Esc is heard from then on)
    page.screenshot(path=str(OUTPUT / "menu-open-390.png"))
    page.keyboard.press("Escape")  # the keyboard closes it
    sidebar.wait_for(state="hidden")
    assert button.get_attribute("aria-expanded") == "false"
    # the search box is a button on the phone that leads to the search page
    page.locator("a[aria-label=搜索干部]").click()
    page.wait_for_url("**/cadres/search/")
    assert page.locator("#search-page-q").is_visible()

    page.set_viewport_size(LAPTOP)
    page.goto(live_server.url + reverse("cadres:list"))
    assert not button.is_visible()
    assert sidebar.locator("a.nav-link", has_text="干部名册").is_visible()
    assert page.locator("#topbar-q").is_visible()


def test_the_score_grid_scrolls_inside_its_card_with_names_in_view(page, live_server, layout_world):
    login(page, live_server, "city_staff")
    page.set_viewport_size(PHONE)
    w = layout_world
    page.goto(live_server.url + reverse("assessment:grid", args=[w.period.pk, w.units[IN].pk]))
    box = page.locator("#score-grid").locator("xpath=ancestor::div[contains(@class,'table-responsive')]")
    box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    assert box.evaluate("el => el.scrollLeft") > 0  # the grid scrolls sideways in its card
    name = page.locator("#score-grid tbody tr[data-cadre] th").first
    left = name.bounding_box()["x"]
    card = box.bounding_box()["x"]
    assert abs(left - card) < 2  # the name column stays at the card's left edge
    assert overflow(page)[0] <= overflow(page)[1]


def test_the_yuetan_stepper_reads_top_to_bottom_on_a_phone(page, live_server, layout_world):
    login(page, live_server, "city_staff")
    path = reverse("supervision:interview_detail", args=[layout_world.yuetan.pk])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + path)
    steps = page.locator("ol.stepper > li")
    boxes = [steps.nth(i).bounding_box() for i in range(steps.count())]
    assert len(boxes) >= 3
    assert all(b["y"] > a["y"] for a, b in zip(boxes, boxes[1:], strict=False))  # one under the other
    assert len({round(b["x"]) for b in boxes}) == 1
    page.set_viewport_size(LAPTOP)
    page.goto(live_server.url + path)
    boxes = [steps.nth(i).bounding_box() for i in range(steps.count())]
    assert all(b["x"] > a["x"] for a, b in zip(boxes, boxes[1:], strict=False))  # side by side
