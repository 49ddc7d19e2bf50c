"""Computing the lists: which periods have them, replacing a period's or a subtree's entries
(decisions survive, a second run writes nothing, the ranking stays whole), the audit trail, the
job and what queues it, the command, the demo step and the rules on the policy page."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from assessment.models import PeriodStatus, RuleKind
from assessment.services.policy import policy_rule_save
from assessment.signals import grades_recomputed
from audit.models import AuditEntry
from core.models import Job
from incentives.lists import lists_compute
from incentives.lists.tasks import JOB_KIND, queue_lists_job
from incentives.models import Decision, Entry, ListKind, Verdict
from tests.factories import CadreFactory

from .list_facts import TODAY, annual, base, clue, compute, entry, grade, grades

COMMEND = ListKind.COMMENDATION


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
    ]


@pytest.fixture
def world(tree, cadre_a, cadre_b):
    """张三 (甲镇) 优秀 two years running, 李四 (乙镇) 优秀 this year, bases for both counties."""
    grades(cadre_a, {2024: "优秀", 2025: "优秀"})
    grade(cadre_b, 2025, "优秀", total="95.00")
    base(tree["city"], "2000")
    return {"a": cadre_a, "b": cadre_b}


# --------------------------------------------------------------------------- which periods


@pytest.mark.parametrize(
    ("status", "quarter", "message"),
    [
        (
            PeriodStatus.GRADING,
            None,
            "“2025年度”为评定等次状态；激励名单只按已公布或已归档的年度考核结果计算。",
        ),
        (PeriodStatus.PUBLISHED, 2, "“2025年第2季度”是季度平时考核；激励名单按已公布的年度考核结果计算。"),
    ],
)
def test_lists_are_refused_for_a_period_without_published_annual_results(db, status, quarter, message):
    from tests.factories import make_period

    period = make_period(year=2025, quarter=quarter, status=status)
    with pytest.raises(ValidationError) as caught:
        lists_compute(period=period)
    assert caught.value.messages == [message]
    assert not Entry.objects.exists()


def test_an_archived_period_has_lists(world):
    annual(2025, status=PeriodStatus.ARCHIVED)
    compute()
    assert entry(world["a"], COMMEND).eligible


# --------------------------------------------------------------------------- replacing entries


def test_a_second_computation_writes_nothing(world):
    compute()
    before = list(Entry.objects.order_by("id").values())
    with CaptureQueriesContext(connection) as queries:
        summary = compute()
    assert writes(queries) == []
    assert (summary["created"], summary["updated"], summary["deleted"]) == (0, 0, 0)
    assert list(Entry.objects.order_by("id").values()) == before


def test_the_queries_do_not_grow_with_the_cadres(tree, world):
    compute()
    with CaptureQueriesContext(connection) as few:
        compute()
    for _n in range(5):
        grades(CadreFactory(unit=tree["town_b"]), {2024: "优秀", 2025: "优秀"})
    compute()
    with CaptureQueriesContext(connection) as many:
        compute()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_computation_reads_each_table_once(tree, world, django_assert_num_queries):
    from .list_facts import post, sanction, talk, withheld

    clue(world["a"])
    talk(world["a"], "yuetan", "2025-03-01")
    sanction(world["b"], "warning", "2025-03-01")
    withheld(world["b"], "10")
    post(world["a"], "first_secretary", "2020-01-01")
    compute()
    period = annual()
    # the period; a savepoint; the rules; units; the period's grades with their cadres; the
    # published years; earlier grades; talks; clues; sanctions; flags; withholdings; bonus
    # bases; posts; 容错纠错 decisions on the talks, sanctions and withholdings read (one query
    # per kind of matter that has any); the stored entries; the savepoint released; and on
    # PostgreSQL the advisory lock that keeps two computations of a period apart
    with django_assert_num_queries(19 + (connection.vendor == "postgresql")):
        lists_compute(period=period.pk)


def test_decisions_survive_a_recomputation_that_changes_the_entry(users, world):
    compute()
    decision = Decision.objects.create(
        period=annual(),
        cadre=world["a"],
        unit=world["a"].unit,
        kind=COMMEND,
        verdict=Verdict.GRANTED,
        reason="推荐为优秀公务员",
        snapshot={"eligible": True},
        decided_by=users[Role.STAFF],
        decided_on=TODAY,
    )
    clue(world["a"])
    compute()
    assert not entry(world["a"], COMMEND).eligible
    assert Decision.objects.get(pk=decision.pk).verdict == Verdict.GRANTED


def test_an_entry_no_longer_on_a_list_is_removed_and_audited(world):
    compute()
    gone = entry(world["b"], COMMEND)
    a2025 = world["b"].assessments.get(period__year=2025)
    a2025.final_grade = "称职"
    a2025.save()
    summary = compute()
    assert entry(world["b"], COMMEND) is None
    assert summary["deleted"] >= 1
    trail = AuditEntry.objects.get(model="incentives.entry", object_id=str(gone.pk))
    assert (trail.action, trail.object_repr) == ("delete", "李四：评先选优")


def test_a_change_of_eligibility_is_audited_entry_by_entry_and_the_computation_as_a_whole(world):
    compute()
    first = AuditEntry.objects.filter(model="incentives.entry").count()
    assert first == 0  # the first computation of a period is one entry on the period
    assert AuditEntry.objects.filter(model="assessment.period", reason="计算激励名单").count() == 1
    clue(world["a"])
    compute()
    changed = AuditEntry.objects.filter(model="incentives.entry", action="update")
    assert {e.object_repr for e in changed} == {"张三：评先选优", "张三：优先使用"}
    assert changed.first().changes == {"eligible": [True, False]}


def test_an_entry_joining_a_list_after_the_first_computation_is_audited(tree, world):
    compute()
    newcomer = CadreFactory(unit=tree["town_b"], name="钱七")
    grade(newcomer, 2025, "优秀")
    compute()
    joined = entry(newcomer, COMMEND)
    trail = AuditEntry.objects.get(model="incentives.entry", object_id=str(joined.pk))
    assert (trail.action, trail.object_repr, trail.cadre_id) == ("create", "钱七：评先选优", newcomer.pk)
    assert trail.changes == {"eligible": [None, True]}


def test_the_bonus_amount_of_an_entry_follows_a_new_base(tree, world):
    compute()
    base(tree["county_a"], "3000")
    compute()
    found = entry(world["a"], ListKind.BONUS)
    assert found.amount == Decimal("3600.00")


# --------------------------------------------------------------------------- subtrees and ranking


def test_a_subtree_computation_replaces_only_its_entries(tree, world):
    compute()
    clue(world["a"])
    clue(world["b"])
    lists_compute(period=annual(), unit=tree["county_a"])
    assert not entry(world["a"], COMMEND).eligible
    assert entry(world["b"], COMMEND).eligible  # 乙县 not recomputed


def test_the_ranking_stays_whole_when_a_subtree_is_recomputed(tree, world):
    a2025 = world["a"].assessments.get(period__year=2025)
    a2025.total_score = Decimal("90.00")
    a2025.save()
    compute()
    assert (entry(world["b"], COMMEND).position, entry(world["a"], COMMEND).position) == (1, 2)
    a2025.total_score = Decimal("99.00")
    a2025.save()
    lists_compute(period=annual(), unit=tree["county_a"])
    assert (entry(world["a"], COMMEND).position, entry(world["b"], COMMEND).position) == (1, 2)


def test_some_cadres_only_are_recomputed_when_asked(world):
    compute()
    clue(world["a"])
    clue(world["b"])
    lists_compute(period=annual(), cadre_ids=[world["b"].pk])
    assert entry(world["a"], COMMEND).eligible
    assert not entry(world["b"], COMMEND).eligible


# --------------------------------------------------------------------------- the job


def test_the_job_computes_the_lists(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = queue_lists_job(period_id=annual().pk, reason="手动计算")
    job.refresh_from_db()
    assert job.state == "done" and job.result["entries"] == Entry.objects.count() > 0


def test_a_waiting_job_covering_the_request_is_reused(tree, world):
    period = annual()
    whole = queue_lists_job(period_id=period.pk, reason="一")
    assert queue_lists_job(period_id=period.pk, unit_id=tree["county_a"].pk, reason="二") == whole
    assert Job.objects.filter(kind=JOB_KIND).count() == 1


def test_the_latest_job_of_a_period_is_the_one_shown(tree, world):
    from incentives.lists.tasks import latest_lists_job

    first = queue_lists_job(period_id=annual().pk, unit_id=tree["county_a"].pk, reason="一")
    assert latest_lists_job(annual().pk) == first
    Job.objects.filter(pk=first.pk).update(state="done")
    second = queue_lists_job(period_id=annual().pk, reason="二")
    assert second != first and latest_lists_job(annual().pk) == second
    assert latest_lists_job(annual(2024).pk) is None


def test_a_job_for_a_period_being_graded_is_refused(db):
    period = annual(2025, status=PeriodStatus.GRADING)
    with pytest.raises(ValidationError):
        queue_lists_job(period_id=period.pk, reason="手动计算")


def test_a_job_without_a_period_queues_every_published_period(world):
    annual(2024, status=PeriodStatus.PUBLISHED)
    queue_lists_job(reason="容错纠错认定变化", cadre_ids={world["a"].pk})
    jobs = Job.objects.filter(kind=JOB_KIND)
    assert sorted(j.params["period"] for j in jobs) == sorted([annual(2024).pk, annual(2025).pk])
    assert all(j.params["cadre_ids"] == [world["a"].pk] for j in jobs)


def test_the_job_of_a_period_reopened_meanwhile_skips(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = queue_lists_job(period_id=annual().pk, reason="手动计算")
    annual(2025, status=PeriodStatus.GRADING)
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.result["skipped"].startswith("“2025年度”为评定等次状态")


def test_published_annual_results_queue_the_lists(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        grades_recomputed.send(
            sender=None, period_id=annual().pk, unit_path="", status=PeriodStatus.PUBLISHED, annual=True
        )
    assert entry(world["a"], COMMEND).eligible


@pytest.mark.parametrize(
    ("status", "annual_period"), [(PeriodStatus.GRADING, True), (PeriodStatus.PUBLISHED, False)]
)
def test_grades_of_an_open_or_quarterly_period_queue_nothing(world, status, annual_period):
    grades_recomputed.send(
        sender=None, period_id=annual().pk, unit_path="", status=status, annual=annual_period
    )
    assert not Job.objects.filter(kind=JOB_KIND).exists()


@pytest.fixture
def admin(db):
    from tests.factories import make_user

    return make_user("policy_admin", Role.STAFF, None, is_superuser=True)


def test_a_rule_change_recomputes_the_published_lists(admin, world, django_capture_on_commit_callbacks):
    compute()
    assert entry(world["a"], ListKind.BONUS).amount == Decimal("2400.00")
    with django_capture_on_commit_callbacks(execute=True):
        policy_rule_save(
            actor=admin,
            unit=None,
            kind=RuleKind.BONUS_COEFFICIENTS,
            params={"excellent": 1.5, "competent": 1, "basic": 0.6, "incompetent": 0, "undetermined": 0},
        )
    assert entry(world["a"], ListKind.BONUS).amount == Decimal("3000.00")


def test_a_rule_of_a_unit_queues_its_subtree_only(tree, users, world):
    rule = RuleKind.RESERVED_POST
    policy_rule_save(
        actor=users[Role.STAFF], unit=tree["county_a"], kind=rule, params={"years": 6, "min_grade": "称职"}
    )
    jobs = Job.objects.filter(kind=JOB_KIND)
    assert {j.params["period"] for j in jobs} == {annual(2024).pk, annual(2025).pk}  # both published
    assert {j.params["unit_path"] for j in jobs} == {tree["county_a"].path}


# --------------------------------------------------------------------------- the command, the demo


def test_the_command_computes_the_lists_and_says_how_many(world):
    out = StringIO()
    call_command("compute_incentives", "--period", str(annual().pk), stdout=out)
    assert "2025年度：2 名干部" in out.getvalue()
    assert entry(world["a"], COMMEND).eligible


def test_the_command_refuses_a_period_being_graded_in_chinese(db):
    from django.core.management.base import CommandError

    period = annual(2025, status=PeriodStatus.GRADING)
    with pytest.raises(CommandError, match="激励名单只按已公布或已归档的年度考核结果计算"):
        call_command("compute_incentives", "--period", str(period.pk))


def test_the_demo_step_adds_earlier_years_and_computes_the_lists_once(tree, cadre_a, cadre_b):
    from incentives.lists.demo import seed_lists
    from tests.factories import make_user

    make_user("zzb_staff", Role.STAFF, tree["city"])
    grade(cadre_a, 2025, "优秀")
    grade(cadre_b, 2025, "称职")
    first = seed_lists()
    assert first["earlier_assessments"] == 4  # 2 cadres × 2023, 2024
    assert annual(2023, status=PeriodStatus.ARCHIVED).assessments.count() == 2
    assert annual(2024, status=PeriodStatus.ARCHIVED).published_at is not None
    assert first["incentive_entries"] == Entry.objects.count() > 0
    with CaptureQueriesContext(connection) as queries:
        again = seed_lists()
    assert again["earlier_assessments"] == 0 and writes(queries) == []


def test_the_list_rules_are_shown_in_their_own_section_of_the_policy_page(client, users):
    client.force_login(users[Role.STAFF])
    response = client.get(reverse("assessment:policy"))
    sections = {s["anchor"]: s for s in response.context["sections"]}
    assert sections["incentive-rules"]["title"] == "激励规则"
    kinds = {r["kind"] for r in sections["incentive-rules"]["rows"]}
    assert {
        RuleKind.BONUS_COEFFICIENTS,
        RuleKind.COMMENDATION,
        RuleKind.CS_AWARDS,
        RuleKind.PRIORITY_USE,
        RuleKind.RESERVED_POST,
        RuleKind.YOUNG_SELECTION,
        RuleKind.RANK_TENURE,
    } <= kinds
    assert not kinds & {r["kind"] for r in sections["grading-rules"]["rows"]}
    page = response.content.decode()
    assert "在乡镇连续任党政正职 8 年以上的现任乡镇党政正职" in page
    assert (
        "任一级科员满 3 年可晋升二级主任科员；每个优秀年度缩短 6 个月，基本称职或不定等次年度不计算任职年限"
        in page
    )


def test_a_priority_criterion_without_its_years_is_refused_in_chinese(admin):
    with pytest.raises(ValidationError) as caught:
        policy_rule_save(
            actor=admin,
            unit=None,
            kind=RuleKind.PRIORITY_USE,
            key="x",
            params={"criterion": "frontline", "value": "", "mode": "soft", "weight": 5},
        )
    assert caught.value.message_dict == {"value": ["该条件须填写年数或月数。"]}


def test_a_tenure_rule_promoting_to_the_same_rank_is_refused(admin):
    with pytest.raises(ValidationError) as caught:
        policy_rule_save(
            actor=admin,
            unit=None,
            kind=RuleKind.RANK_TENURE,
            key="x",
            params={
                "from_rank": "staff",
                "to_rank": "staff",
                "years": 2,
                "excellent_months": 6,
                "not_counted": [],
            },
        )
    assert caught.value.message_dict == {"to_rank": ["晋升后的职级不能与现任职级相同。"]}
