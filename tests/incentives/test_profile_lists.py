"""The cadre profile shows the cadre's lists of the latest period and every decision (with its
timeline entries); a cadre with none has no section."""

import pytest
from django.urls import reverse

from core import registry
from incentives.registry_lists import profile_context
from incentives.services_decisions import decision_record
from tests.factories import IncentiveEntryFactory, make_period


@pytest.fixture
def period(db):
    return make_period(year=2025, status="published")


def profile(client, user, cadre) -> str:
    client.force_login(user)
    response = client.get(reverse("cadres:detail", args=[cadre.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_profile_shows_the_latest_lists_and_the_decisions(client, users, period, cadre_a, clock):
    clock.set("2026-02-10")
    older = make_period(year=2024, status="archived")
    IncentiveEntryFactory(period=older, cadre=cadre_a, kind="merit3")
    IncentiveEntryFactory(period=period, cadre=cadre_a, kind="commendation")
    IncentiveEntryFactory(period=period, cadre=cadre_a, kind="priority", eligible=False)
    decision_record(
        actor=users["staff"],
        period=older,
        cadre=cadre_a,
        kind="merit3",
        verdict="granted",
        reason="连续三年优秀",
    )
    decision_record(
        actor=users["staff"],
        period=period,
        cadre=cadre_a,
        kind="commendation",
        verdict="declined",
        reason="名额已满",
    )
    html = profile(client, users["auditor"], cadre_a)
    section = html.split('id="incentives"')[1].split('<div class="card mb-3"')[0]
    assert "2025年度：列入1个名单" in section
    assert "评先选优" in section and "未列入：" in section and "优先使用" in section
    assert "记三等功" not in section.split("决定")[0]  # 2024's lists are not the latest
    assert "连续三年优秀" in section and "名额已满" in section and "2024年度 · 记三等功" in section


def test_the_timeline_has_the_decisions(users, period, cadre_a, clock):
    clock.set("2026-02-10")
    IncentiveEntryFactory(period=period, cadre=cadre_a, kind="commendation")
    decision_record(
        actor=users["staff"],
        period=period,
        cadre=cadre_a,
        kind="commendation",
        verdict="granted",
        reason="表现突出",
    )
    entries = [
        e for e in registry.timeline_entries(users["staff"], cadre_a, limit=20) if e.kind == "激励决定"
    ]
    assert len(entries) == 1
    assert entries[0].title == "2025年度“评先选优”：同意" and entries[0].detail == "表现突出"
    assert str(entries[0].on) == "2026-02-10"


def test_a_cadre_with_no_list_and_no_decision_has_no_section(client, users, period, cadre_a):
    assert profile_context(users["staff"], cadre_a) is None
    assert 'id="incentives"' not in profile(client, users["staff"], cadre_a)


def test_the_section_reads_three_queries(users, period, cadre_a, django_assert_num_queries):
    IncentiveEntryFactory(period=period, cadre=cadre_a, kind="commendation")
    # the latest period's entries (its period joined, the latest period a subquery), the
    # decisions (period and who decided joined)
    with django_assert_num_queries(2):
        profile_context(users["staff"], cadre_a)
