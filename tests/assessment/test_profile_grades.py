"""The cadre profile shows the cadre's grades with the caps that shaped them."""

import datetime

from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus
from assessment.services.recompute import period_recompute
from supervision.models import Sanction
from tests.factories import make_period


def test_the_profile_lists_each_period_with_grade_and_the_facts_of_its_caps(client, users, tree, cadre_a):
    period = make_period(status=PeriodStatus.GRADING)
    Assessment.objects.create(
        period=period,
        cadre=cadre_a,
        unit=cadre_a.unit,
        scores=dict.fromkeys(["德", "能", "勤", "绩", "廉", "民主测评"], 95),
    )
    Sanction.objects.create(
        cadre=cadre_a,
        kind="warning",
        decided_on=datetime.date(2025, 5, 6),
        reason="迟到",
        created_by=users[Role.STAFF],
    )
    period_recompute(period_id=period.pk)

    client.force_login(users[Role.STAFF])
    page = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()

    assert "2025年度" in page
    assert "称职" in page and "未公布" in page
    assert "2025-05-06 受警告处分（考核年度内）" in page


def test_the_profile_says_when_there_are_no_grades(client, users, cadre_a):
    client.force_login(users[Role.AUDITOR])
    assert "尚无考核结果" in client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
