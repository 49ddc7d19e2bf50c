"""Periods: created from the template scheme, and moved step by step through their states."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from assessment.models import Assessment, Indicator, Period, PeriodStatus, Scheme
from assessment.services.periods import period_create, period_transition
from assessment.services.scores import scores_save
from audit.models import AuditEntry
from cadres.models import CadreStatus
from core.models import Job
from tests.factories import CadreFactory

FULL = {"德": 95, "能": 95, "勤": 95, "绩": 95, "廉": 95, "民主测评": 95}


def walk(period, actor, *steps):
    for to in steps:
        period = period_transition(actor=actor, period=period, to=to)
    return period


# ---------------------------------------------------------------- creating


def test_a_new_period_is_a_draft_with_a_copy_of_the_annual_template(staff):
    period = period_create(actor=staff, name="2025年度干部考核", year=2025)
    template = Scheme.objects.get(period__isnull=True, quarterly=False)
    assert period.status == PeriodStatus.DRAFT
    assert period.scheme.period == period and period.scheme.category == ""
    assert period.scheme.pk != template.pk
    copied = list(period.scheme.indicators.values_list("code", "weight"))
    assert copied == list(template.indicators.values_list("code", "weight"))
    assert [c for c, _ in copied] == ["德", "能", "勤", "绩", "廉", "民主测评"]


def test_a_quarterly_period_copies_the_quarterly_template(staff):
    period = period_create(actor=staff, name="一季度", year=2025, quarter=1)
    assert period.scheme.quarterly
    assert list(period.scheme.indicators.values_list("code", flat=True)) == ["得分"]


def test_editing_the_copy_leaves_the_template_alone(staff):
    period = period_create(actor=staff, name="2025年度", year=2025)
    Indicator.objects.filter(scheme=period.scheme, code="德").update(name="改过的名称")
    assert (
        Indicator.objects.get(scheme__period__isnull=True, scheme__quarterly=False, code="德").name
        != "改过的名称"
    )


def test_a_second_annual_period_of_the_same_year_is_refused(staff):
    period_create(actor=staff, name="2025年度", year=2025)
    with pytest.raises(ValidationError) as exc:
        period_create(actor=staff, name="又一个", year=2025)
    assert "2025年年度考核已存在" in exc.value.message_dict["year"][0]
    assert Period.objects.count() == 1


def test_the_same_quarter_twice_is_refused_but_another_quarter_is_not(staff):
    period_create(actor=staff, name="一季度", year=2025, quarter=1)
    period_create(actor=staff, name="二季度", year=2025, quarter=2)
    with pytest.raises(ValidationError) as exc:
        period_create(actor=staff, name="一季度重复", year=2025, quarter=1)
    assert "第1季度平时考核已存在" in exc.value.message_dict["quarter"][0]


@pytest.mark.parametrize("quarter", [0, 5, "x"])
def test_a_quarter_outside_one_to_four_is_refused(staff, quarter):
    with pytest.raises(ValidationError) as exc:
        period_create(actor=staff, name="错误季度", year=2025, quarter=quarter)
    assert exc.value.message_dict["quarter"] == ["季度只能是1至4；年度考核请留空。"]


def test_an_empty_name_is_refused(staff):
    with pytest.raises(ValidationError) as exc:
        period_create(actor=staff, name="  ", year=2025)
    assert exc.value.message_dict["name"] == ["请填写考核期名称。"]


def test_a_county_admin_cannot_create_a_period(users):
    with pytest.raises(PermissionDenied):
        period_create(actor=users[Role.COUNTY_ADMIN], name="2025年度", year=2025)


def test_creating_a_period_is_audited(staff):
    period = period_create(actor=staff, name="2025年度", year=2025)
    entry = AuditEntry.objects.get(model="assessment.period", object_id=str(period.pk))
    assert entry.action == "create" and entry.changes["name"] == [None, "2025年度"]


# ---------------------------------------------------------------- opening


def test_opening_creates_a_row_in_their_unit_for_every_assessed_cadre_only(staff, tree):
    kept = [
        CadreFactory(unit=tree["town_a"], status=status)
        for status in (CadreStatus.ON_POST, CadreStatus.RECALLED, CadreStatus.FRONTLINE, CadreStatus.AWAITING)
    ]
    CadreFactory(unit=tree["town_a"], status=CadreStatus.RETIRED)
    CadreFactory(unit=tree["town_a"], status=CadreStatus.REMOVED)
    period = period_create(actor=staff, name="2025年度", year=2025)
    period_transition(actor=staff, period=period, to=PeriodStatus.COLLECTING)
    rows = Assessment.objects.filter(period=period)
    assert sorted(rows.values_list("cadre_id", flat=True)) == sorted(c.pk for c in kept)
    assert set(rows.values_list("unit_id", flat=True)) == {tree["town_a"].pk}


@pytest.mark.parametrize("cadres", [2, 20])
def test_opening_takes_the_same_number_of_queries_for_2_or_20_cadres(
    staff, tree, cadres, django_assert_num_queries
):
    for _ in range(cadres):
        CadreFactory(unit=tree["town_a"])
    period = period_create(actor=staff, name="2025年度", year=2025)
    # savepoint, lock the period, read the cadres without a row, insert the rows (one bulk
    # insert; on PostgreSQL a COPY, which core.bulk logs like a query), save the period, the
    # audit entry, release the savepoint
    with django_assert_num_queries(7):
        period_transition(actor=staff, period=period, to=PeriodStatus.COLLECTING)
    assert Assessment.objects.filter(period=period).count() == cadres


def test_going_back_to_collecting_adds_only_cadres_without_a_row(staff, tree, cadre_a):
    period = walk(period_create(actor=staff, name="2025年度", year=2025), staff, PeriodStatus.COLLECTING)
    newcomer = CadreFactory(unit=tree["town_a"])
    walk(period, staff, PeriodStatus.GRADING, PeriodStatus.COLLECTING)
    assert sorted(Assessment.objects.filter(period=period).values_list("cadre_id", flat=True)) == sorted(
        [cadre_a.pk, newcomer.pk]
    )


# ---------------------------------------------------------------- steps


def test_a_step_that_skips_a_state_is_refused_naming_both_states(head, annual_period):
    with pytest.raises(ValidationError) as exc:
        period_transition(actor=head, period=annual_period, to=PeriodStatus.ARCHIVED)
    assert "当前为“采集评分”，不能改为“已归档”" in exc.value.messages[0]
    annual_period.refresh_from_db()
    assert annual_period.status == PeriodStatus.COLLECTING


def test_an_unknown_state_is_refused(staff, annual_period):
    with pytest.raises(ValidationError):
        period_transition(actor=staff, period=annual_period, to="finished")


def test_staff_cannot_publish_only_the_head_can(staff, head, annual_period):
    period = walk(annual_period, staff, PeriodStatus.GRADING)
    with pytest.raises(PermissionDenied):
        period_transition(actor=staff, period=period, to=PeriodStatus.PUBLISHED)
    period = period_transition(actor=head, period=period, to=PeriodStatus.PUBLISHED)
    assert period.status == PeriodStatus.PUBLISHED and period.published_at is not None


def test_a_county_admin_cannot_open_a_period(users, staff):
    period = period_create(actor=staff, name="2025年度", year=2025)
    with pytest.raises(PermissionDenied):
        period_transition(actor=users[Role.COUNTY_ADMIN], period=period, to=PeriodStatus.COLLECTING)


def test_grading_can_go_back_to_collecting(staff, annual_period):
    period = walk(annual_period, staff, PeriodStatus.GRADING, PeriodStatus.COLLECTING)
    assert period.status == PeriodStatus.COLLECTING


def test_entering_grading_queues_a_recompute(staff, annual_period):
    walk(annual_period, staff, PeriodStatus.GRADING)
    job = Job.objects.get(kind="assessment.recompute", params__period=annual_period.pk)
    assert job.params["reason"] == "进入评定等次"


def test_publishing_recomputes_the_grades_first(staff, head, annual_period, cadre_a):
    scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": FULL}])
    # the queued job never ran (no commit in this test): only publishing can have graded
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).final_grade == ""
    period = walk(annual_period, staff, PeriodStatus.GRADING)
    walk(period, head, PeriodStatus.PUBLISHED)
    assessment = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    assert assessment.total_score == 95 and assessment.final_grade == "称职"


def test_an_archived_period_cannot_move_any_more(staff, head, annual_period):
    period = walk(annual_period, staff, PeriodStatus.GRADING)
    period = walk(period, head, PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)
    for to in PeriodStatus.values:
        with pytest.raises(ValidationError, match="当前为“已归档”"):
            period_transition(actor=head, period=period, to=to)


def test_every_step_is_audited_with_both_states(staff, annual_period):
    walk(annual_period, staff, PeriodStatus.GRADING)
    entry = AuditEntry.objects.filter(model="assessment.period", object_id=str(annual_period.pk)).first()
    assert entry.changes["status"] == ["collecting", "grading"]
    assert entry.reason == "采集评分 → 评定等次"


def test_the_opening_is_audited_with_the_number_of_rows_created(staff, cadre_a, cadre_b):
    period = period_create(actor=staff, name="2025年度", year=2025)
    period_transition(actor=staff, period=period, to=PeriodStatus.COLLECTING)
    entry = AuditEntry.objects.filter(model="assessment.period", object_id=str(period.pk)).first()
    assert entry.reason == "草稿 → 采集评分，新建考核记录 2 条"
