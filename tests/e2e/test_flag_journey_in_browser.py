"""A 不适宜担任现职 flag reviewed into an adjustment decision in Chromium: the staff member opens the
flag, proposes 免职 with the reason, the head approves it on the decision's page; the flag is closed
by the decision and the cadre's status follows. Screenshots go to
$E2E_OUTPUT_DIR (default /tmp/e2e-output)."""

import os
import pathlib

import pytest
from django.utils import timezone

from accounts.roles import Role
from cadres.models import CadreStatus
from recall.models import AdjustmentDecision, Flag, FlagStatus
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OUT = pathlib.Path(os.environ.get("E2E_OUTPUT_DIR", "/tmp/e2e-output")) / "flag-journey"


def shot(page, name):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_a_flag_is_reviewed_into_an_approved_adjustment(page, live_server, users, cadre_a):
    flag = Flag.objects.create(
        cadre=cadre_a,
        unit=cadre_a.unit,
        rule_key="grade",
        rule_name="最近一个年度考核为不称职或更差",
        anchor="2025",
        facts=[{"label": "2025年度考核", "value": "不称职"}],
        raised_at=timezone.now(),
    )
    login(page, live_server, users[Role.STAFF].username)
    page.goto(live_server.url + f"/recall/flags/{flag.pk}/")
    assert "最近一个年度考核为不称职或更差" in page.content()
    shot(page, "1-flag")
    page.get_by_role("link", name="提出调整决定").click()
    page.select_option("select[name=method]", "removal")
    page.fill("textarea[name=reason]", "连续两年考核不称职，经研判不适宜担任现职。")
    page.get_by_role("button", name="提交审批").click()
    page.wait_for_selector("[data-testid=awaiting-approval]")
    decision = AdjustmentDecision.objects.get(cadre=cadre_a)
    shot(page, "2-proposed")

    page.get_by_role("button", name="退出").click() if page.get_by_role(
        "button", name="退出"
    ).count() else None
    page.context.clear_cookies()
    login(page, live_server, users[Role.HEAD].username)
    page.goto(live_server.url + f"/recall/flags/adjustments/{decision.pk}/")
    page.fill("textarea[name=note]", "同意。")
    page.locator("button[name=decision][value=approve]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=awaiting-approval]").count() == 0
    shot(page, "3-approved")

    decision.refresh_from_db()
    flag.refresh_from_db()
    cadre_a.refresh_from_db()
    assert decision.approved_by_id == users[Role.HEAD].pk
    assert flag.status == FlagStatus.DECIDED
    assert cadre_a.status == CadreStatus.REMOVED
