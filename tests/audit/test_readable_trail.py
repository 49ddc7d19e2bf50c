"""The audit trail reads as people write: local times to the minute, scores by indicator,
Chinese names for every field and object type, no internal codes."""

import datetime
import re
from unittest import mock

import pytest
from django.urls import reverse

from accounts.roles import Role
from assessment.models import PeriodStatus
from assessment.services.periods import period_create, period_transition
from assessment.services.policy import policy_rule_save
from assessment.services.scores import scores_save
from audit.models import AuditAction
from audit.services import audit_record, snapshot


@pytest.fixture
def period(users, cadre_a):
    actor = users["city_staff"]
    period = period_create(actor=actor, name="2025年度干部考核", year=2025)
    return period_transition(actor=actor, period=period, to=PeriodStatus.COLLECTING)


def _audit_page(client, user, **params):
    client.force_login(user)
    return client.get(reverse("audit:list"), params).content.decode()


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_times_show_in_local_time_to_the_minute(client, users, cadre_a):
    moment = datetime.datetime(2026, 11, 29, 19, 36, 12, tzinfo=datetime.UTC)  # 03:36 in Shanghai
    with mock.patch("audit.services.timezone.now", return_value=moment):
        audit_record(
            actor=users[Role.STAFF],
            action=AuditAction.UPDATE,
            instance=cadre_a,
            before={"post_title": "副镇长"},
            after={"post_title": "镇长"},
            cadre_id=cadre_a.pk,
            scope_path=cadre_a.unit.path,
        )
    html = _audit_page(client, users[Role.STAFF])
    assert "2026-11-30 03:36" in html
    assert "2026-11-30 03:36:12" not in html


def test_a_time_among_the_changes_shows_in_local_time_to_the_minute(client, users, tree, period):
    # Periods are recorded at the top of the tree; this entry is put in the city's scope.
    before = snapshot(period)
    period.published_at = datetime.datetime(2026, 11, 29, 19, 36, 12, tzinfo=datetime.UTC)
    audit_record(
        actor=users["city_staff"],
        action=AuditAction.UPDATE,
        instance=period,
        before=before,
        after=snapshot(period),
        scope_path=tree["city"].path,
    )
    text = _text(_audit_page(client, users["city_staff"], model="assessment.period"))
    assert "公布时间 （空） 2026-11-30 03:36" in text
    assert "2026-11-30T03:36" not in text


def test_score_changes_show_one_indicator_a_row_without_trailing_zeros(client, users, period, cadre_a):
    staff = users["city_staff"]
    scores_save(actor=staff, period=period, entries=[{"cadre": cadre_a, "scores": {"德": "82.50"}}])
    scores_save(actor=staff, period=period, entries=[{"cadre": cadre_a, "scores": {"德": "95.00"}}])
    text = _text(_audit_page(client, staff, model="assessment.assessment"))
    assert "德 82.5 95" in text  # label, old → new (the arrow is an icon)
    assert "{" not in text and "&#x27;" not in text
    assert "95.00" not in text


def test_a_bulk_score_entry_names_the_cadre_not_its_id(client, users, period, cadre_a):
    scores_save(actor=users["city_staff"], period=period, entries=[{"cadre": cadre_a, "scores": {"德": 90}}])
    html = _audit_page(client, users["city_staff"], model="assessment.assessment")
    assert f"2025年度干部考核 {cadre_a.name}" in html
    assert f"2025年度干部考核 {cadre_a.pk}<" not in html


def test_grade_codes_stay_out_of_the_page(client, users, period, cadre_a):
    assessment = period.assessments.get(cadre=cadre_a)
    before = snapshot(assessment)
    assessment.grade_code = 2
    assessment.final_grade = "称职"
    audit_record(
        actor=users["city_staff"],
        action=AuditAction.UPDATE,
        instance=assessment,
        before=before,
        after=snapshot(assessment),
        cadre_id=cadre_a.pk,
        scope_path=cadre_a.unit.path,
    )
    html = _audit_page(client, users["city_staff"], model="assessment.assessment")
    assert "最终等次" in html
    assert "等次代码" not in html


def test_rule_parameters_show_by_their_chinese_labels(client, users, tree):
    staff = users["city_staff"]
    params = {"ratio": 20, "rounding": "floor", "tie_break": "绩、德"}
    policy_rule_save(actor=staff, unit=tree["town_a"], kind="quota", params=params)
    policy_rule_save(actor=staff, unit=tree["town_a"], kind="quota", params={**params, "ratio": 25})
    text = _text(_audit_page(client, staff, model="assessment.policyrule"))
    assert "优秀比例（%） 20% 25%" in text
    assert "名额取整 向下取整" in text
    for code in ("ratio", "rounding", "floor", "tie_break"):
        assert code not in text


def test_a_sanction_rule_is_named_in_chinese(client, users, tree):
    policy_rule_save(
        actor=users["city_staff"],
        unit=tree["town_a"],
        kind="influence",
        key="demerit",
        params={"sanction": "demerit", "months": 6, "basis": "overlaps_period", "effect": "undetermined"},
    )
    text = _text(_audit_page(client, users["city_staff"], model="assessment.policyrule"))
    assert "处分影响期（记过）" in text
    assert "demerit" not in text and "overlaps_period" not in text


def test_fields_declared_without_a_chinese_name_get_one(client, users, tree, period):
    audit_record(
        actor=users["city_staff"],
        action=AuditAction.CREATE,
        instance=period,
        after=snapshot(period),
        scope_path=tree["city"].path,
    )
    text = _text(_audit_page(client, users["city_staff"], model="assessment.period"))
    assert "登记人 city_staff" in text
    assert "created by" not in text


def test_the_object_type_filter_lists_chinese_names_only(client, users):
    client.force_login(users["city_staff"])
    form = client.get(reverse("audit:list")).context["form"]
    labels = [label for value, label in form.fields["model"].choices if value]
    assert "干部" in labels and "考核结果" in labels
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels), labels
    values = [value for value, label in form.fields["model"].choices]
    assert not [v for v in values if v.startswith("axes.")]


def test_the_assessment_page_shows_the_grade_but_not_its_code(
    client, users, period, cadre_a, django_capture_on_commit_callbacks
):
    full = {"德": 95, "能": 95, "勤": 95, "绩": 95, "廉": 95, "民主测评": 95}
    with django_capture_on_commit_callbacks(execute=True):
        scores_save(actor=users["city_staff"], period=period, entries=[{"cadre": cadre_a, "scores": full}])
    assessment = period.assessments.get(cadre=cadre_a)
    assert assessment.grade_code is not None  # kept for the API and the exports
    client.force_login(users["city_staff"])
    html = client.get(reverse("assessment:assessment_detail", args=[assessment.pk])).content.decode()
    assert "最终等次" in html
    assert "等次代码" not in html
