"""Scores (the bulk door), grade adjustments and corrections of published results."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus, TeamAssessment
from assessment.services.periods import period_transition
from assessment.services.scores import (
    assessment_correct,
    assessment_override,
    scores_save,
    team_override,
)
from audit.models import AuditEntry
from core.models import Job
from tests.factories import CadreFactory

FULL = {"德": 95, "能": 95, "勤": 95, "绩": 95, "廉": 95, "民主测评": 95}
POOR = {"德": 50, "能": 50, "勤": 50, "绩": 50, "廉": 50, "民主测评": 50}


def row(period, cadre) -> Assessment:
    return Assessment.objects.get(period=period, cadre=cadre)


def score_entries(period, cadre):
    return AuditEntry.objects.filter(model="assessment.assessment", object_id=str(row(period, cadre).pk))


# ---------------------------------------------------------------- scores_save


def test_scores_are_stored_as_numbers_whatever_form_they_come_in(staff, annual_period, cadre_a):
    scores_save(
        actor=staff,
        period=annual_period,
        entries=[{"cadre": cadre_a.pk, "scores": {"德": "85", "能": " 85.5 "}}],
    )
    assert row(annual_period, cadre_a).scores == {"德": 85, "能": 85.5}
    assert isinstance(row(annual_period, cadre_a).scores["德"], int)


def test_a_blank_value_clears_that_indicator_and_leaves_the_others(staff, annual_period, cadre_a):
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 80, "能": 90}}]
    )
    scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": ""}}])
    assert row(annual_period, cadre_a).scores == {"能": 90}


def test_one_bad_cell_refuses_the_whole_batch(staff, annual_period, tree, cadre_a):
    other = CadreFactory(unit=tree["town_a"])
    with pytest.raises(ValidationError) as exc:
        scores_save(
            actor=staff,
            period=annual_period,
            entries=[
                {"cadre": other, "scores": {"德": 90}, "key": "第2行"},
                {"cadre": cadre_a, "scores": {"德": 120}, "key": "第3行"},
            ],
        )
    assert exc.value.message_dict == {"第3行": ["指标“德”的得分 120 超出范围（0–100）。"]}
    assert not Assessment.objects.filter(period=annual_period).exclude(scores={}).exists()
    assert not Assessment.objects.filter(period=annual_period, cadre=other).exists()


def test_errors_without_a_key_are_keyed_by_the_cadre_id(staff, annual_period, cadre_a):
    with pytest.raises(ValidationError) as exc:
        scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": "九十"}}])
    assert exc.value.message_dict == {str(cadre_a.pk): ["指标“德”的得分“九十”不是数字。"]}


def test_an_indicator_not_in_the_scheme_is_refused(staff, annual_period, cadre_a):
    with pytest.raises(ValidationError) as exc:
        scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"智": 90}}])
    assert exc.value.messages == ["考核方案中没有指标“智”。"]


def test_a_cadre_outside_the_actors_county_is_refused(staff, annual_period, cadre_a, cadre_b):
    with pytest.raises(ValidationError) as exc:
        scores_save(
            actor=staff,
            period=annual_period,
            entries=[{"cadre": cadre_a, "scores": {"德": 90}}, {"cadre": cadre_b, "scores": {"德": 90}}],
        )
    assert exc.value.message_dict == {str(cadre_b.pk): ["该干部不在您的管辖范围内。"]}
    assert row(annual_period, cadre_a).scores == {}


def test_an_unknown_cadre_is_refused(staff, annual_period):
    with pytest.raises(ValidationError) as exc:
        scores_save(actor=staff, period=annual_period, entries=[{"cadre": 999999, "scores": {"德": 90}}])
    assert exc.value.message_dict == {"999999": ["干部不存在。"]}


def test_a_county_admin_enters_scores_and_an_auditor_cannot(users, annual_period, cadre_a):
    scores_save(
        actor=users[Role.COUNTY_ADMIN],
        period=annual_period,
        entries=[{"cadre": cadre_a, "scores": {"德": 90}}],
    )
    assert row(annual_period, cadre_a).scores == {"德": 90}
    with pytest.raises(PermissionDenied):
        scores_save(
            actor=users[Role.AUDITOR], period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 1}}]
        )


def test_scores_of_a_draft_period_are_refused(staff, quarter_period, cadre_a):
    with pytest.raises(ValidationError, match="考核期尚未开启采集评分，不能录入评分"):
        scores_save(actor=staff, period=quarter_period, entries=[{"cadre": cadre_a, "scores": {"得分": 90}}])


def test_scores_of_a_published_period_are_refused_pointing_at_correction(staff, head, annual_period, cadre_a):
    period = period_transition(actor=staff, period=annual_period, to=PeriodStatus.GRADING)
    period_transition(actor=head, period=period, to=PeriodStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="考核期已公布，不能录入评分；如需修改请使用“更正”"):
        scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 90}}])


def test_a_cadre_without_a_row_gets_one_in_the_cadres_unit(staff, annual_period, tree):
    newcomer = CadreFactory(unit=tree["county_a"])
    result = scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": newcomer, "scores": {"德": 90}}]
    )
    assert result["created"] == 1 and result["updated"] == 0
    assert row(annual_period, newcomer).unit == tree["county_a"]


def test_saving_the_same_values_again_changes_and_audits_nothing(staff, annual_period, cadre_a):
    scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 90}}])
    audited = AuditEntry.objects.count()
    result = scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": "90.0"}}]
    )
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 1)
    assert result["jobs"] == []
    assert AuditEntry.objects.count() == audited


def test_a_change_is_audited_old_to_new_with_the_batch(staff, annual_period, cadre_a):
    scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 80}}])
    result = scores_save(
        actor=staff,
        period=annual_period,
        entries=[{"cadre": cadre_a, "scores": {"德": 85}}],
        batch="import-42",
        source="Excel导入",
    )
    entry = score_entries(annual_period, cadre_a).get(batch="import-42")
    assert result["batch"] == "import-42"
    assert entry.changes == {"scores": [{"德": 80}, {"德": 85}]}
    assert entry.reason == "Excel导入" and entry.cadre_id == cadre_a.pk and entry.actor == staff


def test_a_batch_id_is_made_when_none_is_given(staff, annual_period, cadre_a):
    result = scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 80}}]
    )
    assert result["batch"].startswith("scores-")
    assert score_entries(annual_period, cadre_a).get().batch == result["batch"]


def test_one_job_is_queued_per_disjoint_subtree_touched(city_staff, annual_period, tree, cadre_a, cadre_b):
    deeper = CadreFactory(unit=tree["town_a"])
    result = scores_save(
        actor=city_staff,
        period=annual_period,
        entries=[{"cadre": c, "scores": {"德": 80}} for c in (cadre_a, cadre_b, deeper)],
    )
    jobs = Job.objects.filter(pk__in=result["jobs"])
    assert sorted(j.params["unit_path"] for j in jobs) == sorted([tree["town_a"].path, tree["town_b"].path])


def test_the_grade_appears_once_the_queued_recompute_runs(
    staff, annual_period, cadre_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": POOR}])
    assessment = row(annual_period, cadre_a)
    assert assessment.total_score == 50 and assessment.final_grade == "不称职" and assessment.grade_code == 4


def test_a_track_is_stored_and_an_unknown_track_refused(staff, annual_period, cadre_a):
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {}, "track": "rural"}]
    )
    assert row(annual_period, cadre_a).track == "rural"
    with pytest.raises(ValidationError, match="未知的赛道"):
        scores_save(
            actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {}, "track": "moon"}]
        )


def test_a_cadre_listed_twice_in_one_batch_is_refused(staff, annual_period, cadre_a):
    with pytest.raises(ValidationError, match="出现多次"):
        scores_save(
            actor=staff,
            period=annual_period,
            entries=[{"cadre": cadre_a, "scores": {"德": 1}}, {"cadre": cadre_a, "scores": {"德": 2}}],
        )


@pytest.mark.parametrize("cadres", [2, 20])
def test_saving_takes_the_same_number_of_queries_for_2_or_20_cadres(
    staff, annual_period, tree, cadres, django_assert_num_queries
):
    people = [CadreFactory(unit=tree["town_a"]) for _ in range(cadres)]
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": p, "scores": {"德": 60}} for p in people]
    )
    entries = [{"cadre": p, "scores": {"德": 70}} for p in people]
    # savepoint, period status, unit paths, cadres, existing rows, indicators, the bulk update
    # (SQLite: one executemany; PostgreSQL: create temp table, COPY, ANALYZE, UPDATE … FROM,
    # drop), the
    # audit bulk insert (COPY on PostgreSQL), waiting jobs (the first save's job still waits
    # and is reused), release
    with django_assert_num_queries(14 if connection.vendor == "postgresql" else 10):
        scores_save(actor=staff, period=annual_period, entries=entries)


# ---------------------------------------------------------------- overrides


@pytest.fixture
def graded(staff, annual_period, cadre_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": FULL}])
    return row(annual_period, cadre_a)


def test_an_override_without_a_reason_is_refused(staff, graded):
    with pytest.raises(ValidationError) as exc:
        assessment_override(actor=staff, assessment=graded, grade="优秀", reason=" ")
    assert exc.value.message_dict == {"reason": ["调整等次必须填写理由。"]}
    graded.refresh_from_db()
    assert graded.final_grade == "称职"


def test_an_override_sets_the_final_grade_and_its_code(staff, graded):
    result = assessment_override(actor=staff, assessment=graded, grade="优秀", reason="年度重大贡献")
    assert (result.computed_grade, result.final_grade, result.grade_code) == ("称职", "优秀", 1)
    assert result.override_reason == "年度重大贡献"


def test_the_audit_of_an_override_keeps_both_grades_and_the_reason(staff, graded):
    assessment_override(actor=staff, assessment=graded, grade="优秀", reason="年度重大贡献")
    entry = AuditEntry.objects.filter(model="assessment.assessment", object_id=str(graded.pk)).first()
    assert entry.changes["final_grade"] == ["称职", "优秀"]
    assert entry.reason == "调整等次：年度重大贡献（计算等次：称职；最终等次：优秀）"


def test_an_empty_grade_clears_the_override(staff, graded):
    assessment_override(actor=staff, assessment=graded, grade="优秀", reason="年度重大贡献")
    result = assessment_override(actor=staff, assessment=graded, grade="", reason="撤回调整")
    assert (result.override_grade, result.final_grade, result.grade_code) == ("", "称职", 2)


def test_a_grade_of_another_scale_is_refused(staff, graded):
    with pytest.raises(ValidationError, match="不属于年度考核的等次"):
        assessment_override(actor=staff, assessment=graded, grade="较好", reason="理由")


def test_a_county_admin_cannot_override(users, graded):
    with pytest.raises(PermissionDenied):
        assessment_override(actor=users[Role.COUNTY_ADMIN], assessment=graded, grade="优秀", reason="理由")


def test_an_override_survives_a_recompute(staff, graded, django_capture_on_commit_callbacks):
    assessment_override(actor=staff, assessment=graded, grade="基本称职", reason="群众反映较多")
    with django_capture_on_commit_callbacks(execute=True):
        scores_save(
            actor=staff, period=graded.period, entries=[{"cadre": graded.cadre_id, "scores": {"德": 96}}]
        )
    graded.refresh_from_db()
    assert graded.final_grade == "基本称职" and graded.grade_code == 3


def test_a_published_period_refuses_overrides_pointing_at_correction(staff, head, graded):
    period = period_transition(actor=staff, period=graded.period, to=PeriodStatus.GRADING)
    period_transition(actor=head, period=period, to=PeriodStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="请使用“更正”"):
        assessment_override(actor=staff, assessment=graded, grade="优秀", reason="理由")


# ---------------------------------------------------------------- corrections


@pytest.fixture
def published(staff, head, graded):
    period = period_transition(actor=staff, period=graded.period, to=PeriodStatus.GRADING)
    period_transition(actor=head, period=period, to=PeriodStatus.PUBLISHED)
    graded.refresh_from_db()
    return graded


def test_a_correction_rewrites_the_scores_and_recomputes_at_once(staff, published):
    result = assessment_correct(actor=staff, assessment=published, reason="民主测评录入错误", scores=POOR)
    assert result.total_score == 50 and result.final_grade == "不称职"
    assert row(published.period, published.cadre).final_grade == "不称职"


def test_a_correction_is_audited_with_the_reason_prefixed(staff, published):
    assessment_correct(actor=staff, assessment=published, reason="民主测评录入错误", scores={"民主测评": 50})
    entry = AuditEntry.objects.filter(model="assessment.assessment", object_id=str(published.pk)).first()
    assert entry.reason.startswith("更正：民主测评录入错误")
    assert entry.changes["scores"][0]["民主测评"] == 95 and entry.changes["scores"][1]["民主测评"] == 50


def test_a_correction_can_set_the_grade(staff, published):
    result = assessment_correct(actor=staff, assessment=published, reason="经复核", grade="优秀")
    assert result.final_grade == "优秀" and result.grade_code == 1


def test_a_correction_without_a_reason_is_refused(staff, published):
    with pytest.raises(ValidationError) as exc:
        assessment_correct(actor=staff, assessment=published, reason="", grade="优秀")
    assert exc.value.message_dict["reason"] == ["更正必须填写理由。"]


def test_a_correction_with_a_bad_score_writes_nothing(staff, published):
    with pytest.raises(ValidationError, match="超出范围"):
        assessment_correct(actor=staff, assessment=published, reason="更正", scores={"德": 101})
    assert row(published.period, published.cadre).scores == FULL


def test_a_correction_is_refused_before_publication(staff, graded):
    with pytest.raises(ValidationError, match="只有已公布的考核结果需要更正"):
        assessment_correct(actor=staff, assessment=graded, reason="更正", grade="优秀")


def test_an_archived_period_refuses_corrections(staff, head, published):
    period_transition(actor=head, period=published.period, to=PeriodStatus.ARCHIVED)
    with pytest.raises(ValidationError, match="考核期已归档，不能更正"):
        assessment_correct(actor=staff, assessment=published, reason="更正", grade="优秀")


# ---------------------------------------------------------------- teams


@pytest.fixture
def team(annual_period, tree):
    return TeamAssessment.objects.create(
        period=annual_period, unit=tree["town_a"], computed_grade="良好", final_grade="良好"
    )


def test_a_team_override_sets_the_final_grade_and_is_audited(staff, team):
    result = team_override(actor=staff, team_assessment=team, grade="优秀", reason="班子实绩突出")
    assert (result.computed_grade, result.final_grade) == ("良好", "优秀")
    entry = AuditEntry.objects.get(model="assessment.teamassessment", object_id=str(team.pk))
    assert entry.reason == "调整等次：班子实绩突出（计算等次：良好；最终等次：优秀）"


def test_a_team_grade_outside_the_team_scale_is_refused(staff, team):
    with pytest.raises(ValidationError, match="班子等次只能是优秀、良好、一般、较差"):
        team_override(actor=staff, team_assessment=team, grade="称职", reason="理由")


def test_a_team_override_needs_a_reason(staff, team):
    with pytest.raises(ValidationError, match="调整等次必须填写理由"):
        team_override(actor=staff, team_assessment=team, grade="优秀", reason="")


def test_a_team_outside_the_county_cannot_be_adjusted(staff, annual_period, tree):
    other = TeamAssessment.objects.create(period=annual_period, unit=tree["town_b"], computed_grade="良好")
    with pytest.raises(PermissionDenied):
        team_override(actor=staff, team_assessment=other, grade="优秀", reason="理由")


def test_a_large_batch_reads_whole_tables_and_still_checks_scope(
    staff, annual_period, cadre_a, cadre_b, monkeypatch
):
    monkeypatch.setattr("core.bulk.SQLITE_IN_LIMIT", 1)
    with pytest.raises(ValidationError) as exc:
        scores_save(
            actor=staff,
            period=annual_period,
            entries=[{"cadre": cadre_a, "scores": {"德": 90}}, {"cadre": cadre_b, "scores": {"德": 90}}],
        )
    assert exc.value.message_dict == {str(cadre_b.pk): ["该干部不在您的管辖范围内。"]}
    result = scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 90}}]
    )
    assert result["updated"] == 1


def test_every_assessment_index_earns_its_keep(db):
    """An import or a recomputation writes every index of the table for each row it creates,
    so no index may be a prefix of another: looking up a period's assessments uses the unique
    (period, cadre) or the (period, unit) index, which both lead with the period."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Assessment._meta.db_table)
    indexed = [tuple(c["columns"]) for c in constraints.values() if c["index"] or c["unique"]]
    assert ("period_id", "cadre_id") in indexed
    assert ("period_id", "unit_id") in indexed
    for columns in indexed:
        longer = [other for other in indexed if other != columns and other[: len(columns)] == columns]
        assert not longer, f"index on {columns} is a prefix of {longer}"
