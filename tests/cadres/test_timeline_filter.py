"""The profile's timeline: posts, grades with their explanations and the trail's entries among
the apps' entries, newest first, filtered by kind with ?timeline=<key>."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus
from cadres.models import PostRecord
from supervision.models import Sanction
from supervision.services import records
from tests.factories import PostRecordFactory, make_period


def events(client, user, cadre, kind=None):
    client.force_login(user)
    url = reverse("cadres:detail", args=[cadre.pk])
    response = client.get(url, {"timeline": kind} if kind is not None else {})
    assert response.status_code == 200
    return response


@pytest.fixture
def history(users, cadre_a):
    staff = users[Role.STAFF]
    today = timezone.localdate()
    PostRecord.objects.filter(cadre=cadre_a).delete()
    PostRecordFactory(
        cadre=cadre_a, unit_name="甲镇人民政府", title="科员", start_date=datetime.date(2010, 3, 1)
    )
    PostRecordFactory(
        cadre=cadre_a,
        unit_name="甲镇党委",
        title="副书记",
        start_date=datetime.date(2018, 5, 1),
        end_date=datetime.date(2022, 1, 1),
    )
    PostRecordFactory(cadre=cadre_a, unit_name="甲镇党委", title="书记", start_date=datetime.date(2022, 1, 2))
    records.clue_create(
        actor=staff,
        cadre=cadre_a,
        source="petition",
        received_on=today - datetime.timedelta(days=5),
        summary="反映",
    )
    Sanction.objects.create(
        cadre=cadre_a,
        kind="warning",
        decided_on=today - datetime.timedelta(days=20),
        reason="迟到",
        created_by=staff,
    )


def test_posts_are_on_the_timeline_newest_first_with_their_span(client, users, cadre_a, history):
    shown = events(client, users[Role.STAFF], cadre_a, "cadres.posts").context["events"]
    assert [(e.kind, e.title, e.detail) for e in shown] == [
        ("任职", "甲镇党委 书记", "一般岗位 · 2022.01至今"),
        ("任职", "甲镇党委 副书记", "一般岗位 · 2018.05—2022.01"),
        ("任职", "甲镇人民政府 科员", "一般岗位 · 2010.03至今"),
    ]


def test_filtering_by_kind_shows_only_that_kind_and_marks_its_chip(client, users, cadre_a, history):
    response = events(client, users[Role.STAFF], cadre_a, "supervision.clues")
    assert [e.kind for e in response.context["events"]] == ["问题线索"]
    page = response.content.decode()
    assert 'href="?timeline=supervision.sanctions#timeline"' in page
    assert 'btn-primary" href="?timeline=supervision.clues#timeline" aria-current="true">问题线索</a>' in page
    sanctions = events(client, users[Role.STAFF], cadre_a, "supervision.sanctions").context["events"]
    assert [(e.kind, e.title) for e in sanctions] == [("处分", "警告")]


def test_every_kind_unfiltered_is_newest_first_and_an_unknown_kind_shows_all(client, users, cadre_a, history):
    everything = events(client, users[Role.STAFF], cadre_a).context["events"]
    kinds = {e.kind for e in everything}
    assert {"任职", "问题线索", "处分", "纪实"} <= kinds
    assert [e.on for e in everything] == sorted((e.on for e in everything), reverse=True)
    unknown = events(client, users[Role.STAFF], cadre_a, "nope")
    assert unknown.context["timeline_kind"] == ""
    assert [e.title for e in unknown.context["events"]] == [e.title for e in everything]


def test_the_trail_on_the_timeline_is_for_roles_that_read_it(client, users, cadre_a, history):
    staff = events(client, users[Role.STAFF], cadre_a, "audit.entries")
    assert [(e.kind, e.title) for e in staff.context["events"]] == [("纪实", "新增问题线索：信访：反映")]
    assert ">纪实</a>" in staff.content.decode()
    admin = events(client, users[Role.COUNTY_ADMIN], cadre_a)
    assert "纪实" not in {e.kind for e in admin.context["events"]}
    assert ">纪实</a>" not in admin.content.decode()
    assert events(client, users[Role.COUNTY_ADMIN], cadre_a, "audit.entries").context["events"] == []


def test_a_published_grade_on_the_timeline_says_what_produced_it(client, users, cadre_a):
    period = make_period(year=2024, status=PeriodStatus.PUBLISHED)
    period.published_at = timezone.now()
    period.save(update_fields=["published_at"])
    Assessment.objects.create(
        period=period,
        cadre=cadre_a,
        unit=cadre_a.unit,
        final_grade="基本称职",
        explanation=[
            {"rule": "加权总分", "effect": "92.00", "facts": "各项得分"},
            {"rule": "约谈封顶", "effect": "最高基本称职", "facts": "2024-03-01 约谈"},
        ],
    )
    shown = events(client, users[Role.STAFF], cadre_a, "assessment.grades").context["events"]
    assert [(e.title, e.detail) for e in shown] == [
        ("2024年度", "基本称职 · 约谈封顶：最高基本称职（2024-03-01 约谈）")
    ]
