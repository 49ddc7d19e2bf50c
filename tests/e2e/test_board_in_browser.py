"""The public board (民心墙晾晒) in Chromium: at 390 px its four columns stack without sideways
scrolling and without a CSP violation; at 1366 px they stand side by side. (Here, beside the other
browser tests, so it shares their one Playwright session.)"""

import pytest

from tests.workorders.test_board import board_url, group, helper, life, village  # noqa: F401 (fixtures)

CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective); });
"""


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("width", "stacked"), [(390, True), (1366, False)])
def test_on_a_phone_the_columns_stack_without_sideways_scrolling(
    browser,
    live_server,
    village,  # noqa: F811 (the imported fixture)
    life,  # noqa: F811 (the imported fixture)
    width,
    stacked,
):
    life("需求甲" + "很长的需求摘要" * 8)
    life("需求乙", "dispatch")
    life("需求丙", "handle", handling="办理情况" * 30)
    life("需求丁", "rate")
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="zh-CN")
    try:
        page = context.new_page()
        page.add_init_script(CSP_WATCH)
        page.goto(live_server.url + board_url(village))
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        boxes = [
            page.locator(f"[data-column={key}]").bounding_box() for key in ("point", "send", "take", "rate")
        ]
        if stacked:  # one above the other, each the page's width
            assert [b["x"] for b in boxes] == [boxes[0]["x"]] * 4
            assert all(a["y"] + a["height"] <= b["y"] for a, b in zip(boxes, boxes[1:], strict=False))
        else:  # side by side
            assert [b["y"] for b in boxes] == [boxes[0]["y"]] * 4
            assert all(a["x"] < b["x"] for a, b in zip(boxes, boxes[1:], strict=False))
    finally:
        context.close()
