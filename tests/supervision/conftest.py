import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from supervision.models import InterviewReason
from supervision.services import interviews as svc

# Every supervision test runs on this day unless it sets another (``clock.set``), so none depends
# on the day the suite happens to run.
TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def clock(clock):
    clock.set(TODAY)
    return clock


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def leader_reason(db):
    return InterviewReason.objects.filter(audience="leader").first()


@pytest.fixture
def team_reason(db):
    return InterviewReason.objects.filter(audience="team").first()


@pytest.fixture
def walk(users):
    """Helpers that take a 约谈 to a given state through the services."""

    staff, head = users[Role.STAFF], users[Role.HEAD]

    def propose_cadre(cadre, reason, proposed_ago=60):
        return svc.yuetan_propose(
            actor=staff,
            subject_type="cadre",
            cadre=cadre,
            reasons=[reason],
            proposed_on=days_ago(proposed_ago),
        )

    def propose_team(unit, reason, proposed_ago=60):
        return svc.yuetan_propose(
            actor=staff, subject_type="team", unit=unit, reasons=[reason], proposed_on=days_ago(proposed_ago)
        )

    def to_conducted(interview, conducted_ago=40):
        """Approved 5 days and noticed 3 days before the talk, ``conducted_ago`` days before today."""
        svc.yuetan_approve(actor=head, interview=interview, approved_on=days_ago(conducted_ago + 5))
        svc.yuetan_send_notice(actor=staff, interview=interview, notice_sent_on=days_ago(conducted_ago + 3))
        return svc.yuetan_conduct(
            actor=staff,
            interview=interview,
            conducted_on=days_ago(conducted_ago),
            location="组织部约谈室",
            interviewers="李部长",
            record="指出问题，提出整改要求。",
        )

    return {
        "propose_cadre": propose_cadre,
        "propose_team": propose_team,
        "to_conducted": to_conducted,
        "staff": staff,
        "head": head,
    }
