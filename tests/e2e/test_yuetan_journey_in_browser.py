"""A staff member records a 约谈 in Chromium and sees the grade capped with its explanation: 张三,
first of his town in the 2025 annual period and graded 优秀, is proposed for a 约谈, approved and
given notice (through the services, as the head and staff would); the staff member then records
the talk on its page, and 张三's assessment page shows 称职 with the 约谈 named in the reasons.
Screenshots go to $E2E_OUTPUT_DIR (default /tmp/e2e-output)."""

import datetime
import os
import pathlib
import time

import pytest

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus
from assessment.services.periods import period_create, period_transition
from assessment.services.recompute import period_recompute
from supervision.models import InterviewReason
from supervision.services import interviews as svc
from tests.e2e.conftest import login
from tests.factories import CadreFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OUT = pathlib.Path(os.environ.get("E2E_OUTPUT_DIR", "/tmp/e2e-output")) / "yuetan-journey"
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
D = datetime.date


def shot(page, name):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


@pytest.fixture
def graded(users, tree, cadre_a):
    """张三 first of five in 甲镇, the 2025 period open and graded: he takes the one 优秀 place."""
    actor = users["city_staff"]
    others = [CadreFactory(unit=tree["town_a"], name=f"同事{i}") for i in range(4)]
    period = period_create(actor=actor, name="2025年度干部考核", year=2025)
    period = period_transition(actor=actor, period=period, to=PeriodStatus.COLLECTING)  # opens the rows
    for cadre, score in [(cadre_a, 96), *((c, 80 - i) for i, c in enumerate(others))]:
        Assessment.objects.filter(period=period, cadre=cadre).update(scores=dict.fromkeys(CODES, score))
    period_recompute(period_id=period.pk)
    assert Assessment.objects.get(period=period, cadre=cadre_a).final_grade == "优秀"
    return period


def test_staff_records_a_yuetan_and_sees_the_grade_capped_with_its_reason(
    page, live_server, users, cadre_a, graded
):
    staff, head = users[Role.STAFF], users[Role.HEAD]
    reason = InterviewReason.objects.filter(audience="leader").first()
    interview = svc.yuetan_propose(
        actor=staff, subject_type="cadre", cadre=cadre_a, reasons=[reason], proposed_on=D(2025, 11, 3)
    )
    svc.yuetan_approve(actor=head, interview=interview, approved_on=D(2025, 11, 4))
    svc.yuetan_send_notice(actor=staff, interview=interview, notice_sent_on=D(2025, 11, 5))

    login(page, live_server, staff.username)
    page.goto(live_server.url + f"/supervision/{interview.pk}/")
    page.fill("input[name=conducted_on]", "2025-11-10")
    page.fill("input[name=interviewers]", "组织部分管副部长")
    page.fill("textarea[name=record]", "指出工作作风问题，提出整改要求。")
    shot(page, "1-record-the-talk")
    page.locator(
        "form[action*='/step/'] button[type=submit], form[action*='conduct'] button[type=submit]"
    ).last.click()
    page.wait_for_load_state("networkidle")
    assert "约谈记录" in page.content() or "指出工作作风问题" in page.content()
    shot(page, "2-recorded")

    assessment = Assessment.objects.get(period=graded, cadre=cadre_a)
    deadline = time.monotonic() + 30  # the recomputation runs as a job after the commit
    while assessment.final_grade == "优秀" and time.monotonic() < deadline:
        time.sleep(0.5)
        assessment.refresh_from_db()
    assert assessment.final_grade == "称职"

    page.goto(live_server.url + f"/assessment/assessments/{assessment.pk}/")
    text = page.locator("main, .content").first.inner_text()
    assert "称职" in text
    assert "约谈" in text and "2025-11-10" in text
    shot(page, "3-grade-capped")
