"""The flag job (recall.flags): each default rule at its boundary, the reconciliation with the
stored flags (twice writes nothing, self-closing with a reason, reviewed flags left alone,
reopening, exemption), unit overrides, and queries that do not grow with the registry."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.models import PolicyRule, RuleKind
from audit.models import AuditEntry
from cadres.models import CadreStatus, TeamMembership
from recall.flags import flags_evaluate
from recall.models import Flag, FlagStatus, RecallCase, Stage
from supervision.models import MatterType
from tests.factories import CadreFactory

from .flag_facts import (
    TODAY,
    annual,
    case,
    failed_followup,
    grade,
    main_leader,
    standing,
    talk,
    tolerate,
    unit_rule,
    votes,
)


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


def flags(cadre=None, rule_key=None, **filters):
    qs = Flag.objects.all()
    if cadre is not None:
        qs = qs.filter(cadre=cadre)
    if rule_key is not None:
        qs = qs.filter(rule_key=rule_key)
    return list(qs.filter(**filters).order_by("id"))


def open_keys(cadre) -> set[str]:
    return {f.rule_key for f in flags(cadre, status=FlagStatus.OPEN)}


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
    ]


# --------------------------------------------------------------------------- 年度等次


def test_incompetent_in_the_latest_published_year_raises_a_flag_with_its_facts(cadre_a):
    annual(2024)
    a = grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.rule_key == "flag_grade:incompetent"
    assert flag.rule_name == "预警：年度等次（不称职1年）"
    assert flag.anchor == "2025"
    assert flag.unit == cadre_a.unit
    assert flag.facts == [
        {"label": "2025年度考核", "value": "不称职", "ref": {"model": "assessment.assessment", "id": a.pk}}
    ]


def test_incompetent_in_an_earlier_year_does_not_flag_once_a_later_year_is_published(cadre_a):
    grade(cadre_a, 2024, "不称职")
    grade(cadre_a, 2025, "称职")
    flags_evaluate()
    assert flags(cadre_a) == []


def test_grades_of_a_period_not_yet_published_are_not_read(cadre_a):
    annual(2025)
    annual(2026, status="grading")
    grade(cadre_a, 2026, "不称职")
    flags_evaluate()
    assert flags(cadre_a) == []


def test_basic_competent_one_year_does_not_flag(cadre_a):
    grade(cadre_a, 2024, "称职")
    grade(cadre_a, 2025, "基本称职")
    flags_evaluate()
    assert flags(cadre_a) == []


def test_basic_competent_two_consecutive_years_flags_with_both_years(cadre_a):
    grade(cadre_a, 2024, "基本称职")
    grade(cadre_a, 2025, "基本称职")
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.rule_key == "flag_grade:basic_2"
    assert flag.anchor == "2024-2025"
    assert [f["label"] for f in flag.facts] == ["2024年度考核", "2025年度考核"]


def test_basic_competent_in_two_years_that_are_not_consecutive_does_not_flag(cadre_a):
    grade(cadre_a, 2023, "基本称职")
    grade(cadre_a, 2024, "称职")
    grade(cadre_a, 2025, "基本称职")
    flags_evaluate()
    assert flags(cadre_a) == []


def test_a_year_without_a_published_period_breaks_the_run(cadre_a):
    grade(cadre_a, 2023, "基本称职")
    grade(cadre_a, 2025, "基本称职")  # no 2024 annual period at all
    flags_evaluate()
    assert flags(cadre_a) == []


def test_a_worse_grade_counts_toward_basic_competent_years(cadre_a):
    grade(cadre_a, 2024, "不称职")
    grade(cadre_a, 2025, "基本称职")
    flags_evaluate()
    assert open_keys(cadre_a) == {"flag_grade:basic_2"}


def test_undetermined_grade_breaks_the_run(cadre_a):
    grade(cadre_a, 2024, "不定等次")
    grade(cadre_a, 2025, "基本称职")
    flags_evaluate()
    assert flags(cadre_a) == []


# --------------------------------------------------------------------------- 民主测评


def test_one_incompetent_vote_of_three_is_not_more_than_a_third(cadre_a):
    annual(2024)
    votes(cadre_a, 2025, incompetent=1, total=3)
    flags_evaluate()
    assert flags(cadre_a) == []


def test_34_incompetent_votes_of_100_are_more_than_a_third(cadre_a):
    annual(2024)
    a = votes(cadre_a, 2025, incompetent=34, total=100)
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.rule_key == "flag_votes:third"
    assert flag.facts == [
        {
            "label": "2025年度民主测评",
            "value": "不称职票 34 票，共 100 票（含弃权），占 34.0%",
            "ref": {"model": "assessment.assessment", "id": a.pk},
        }
    ]


def test_abstentions_count_in_the_total(cadre_a):
    annual(2024)
    # 4 of 12 with 3 abstaining: exactly a third of all votes (4 of 9 cast for a grade would be more)
    votes(cadre_a, 2025, incompetent=4, total=12, abstain=3)
    flags_evaluate()
    assert flags(cadre_a) == []


def test_over_a_fifth_two_years_running_flags_and_one_year_does_not(cadre_a, cadre_b):
    votes(cadre_a, 2024, incompetent=21, total=100)
    votes(cadre_a, 2025, incompetent=21, total=100)
    votes(cadre_b, 2024, incompetent=20, total=100)  # a fifth exactly: not more
    votes(cadre_b, 2025, incompetent=30, total=100)
    flags_evaluate()
    assert open_keys(cadre_a) == {"flag_votes:fifth_2"}
    assert flags(cadre_a)[0].anchor == "2024-2025"
    assert flags(cadre_b) == []


# --------------------------------------------------------------------------- 约谈、诫勉


def test_two_interviews_in_one_year_flag_with_the_interviews_as_facts(cadre_a):
    one = talk(cadre_a, "yuetan", "2026-02-10")
    two = talk(cadre_a, "admonish", "2026-05-20")
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.rule_key == "flag_interviews:2"
    assert flag.anchor == "2026"
    assert flag.facts == [
        {"label": "约谈", "value": "2026-02-10", "ref": {"model": "supervision.interview", "id": one.pk}},
        {"label": "诫勉", "value": "2026-05-20", "ref": {"model": "supervision.interview", "id": two.pk}},
    ]


def test_one_interview_in_december_and_one_in_january_do_not_flag(cadre_a):
    talk(cadre_a, "yuetan", "2025-12-20")
    talk(cadre_a, "yuetan", "2026-01-08")
    flags_evaluate()
    assert flags(cadre_a) == []


def test_two_interviews_last_year_still_flag_with_that_year(cadre_a):
    talk(cadre_a, "yuetan", "2025-03-01")
    talk(cadre_a, "admonish", "2025-09-01")
    flags_evaluate()
    assert [f.anchor for f in flags(cadre_a)] == ["2025"]


def test_interviews_two_years_back_are_beyond_the_rule(cadre_a):
    talk(cadre_a, "yuetan", "2024-03-01")
    talk(cadre_a, "yuetan", "2024-09-01")
    flags_evaluate()
    assert flags(cadre_a) == []


def test_a_yuetan_not_yet_conducted_and_other_kinds_of_talk_do_not_count(cadre_a):
    talk(cadre_a, "yuetan", "2026-02-10")
    talk(cadre_a, "yuetan", "2026-03-10", status="approved")
    talk(cadre_a, "talk", "2026-04-10")
    talk(cadre_a, "reminder", "2026-04-11")
    flags_evaluate()
    assert flags(cadre_a) == []


def test_an_exempted_interview_does_not_count(cadre_a):
    talk(cadre_a, "yuetan", "2026-02-10")
    talk(cadre_a, "yuetan", "2026-03-10", exempted=True)
    flags_evaluate()
    assert flags(cadre_a) == []


# --------------------------------------------------------------------------- 召回情况


def test_a_failed_follow_up_within_three_years_flags(cadre_a):
    recall = failed_followup(cadre_a, "2023-06-15")  # three years ago to the day
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.rule_key == "flag_recall:followup_failed"
    assert flag.anchor == f"cases:{recall.pk}"
    assert flag.facts[0]["value"] == "跟踪考察不合格（2023-06-15）"


def test_a_failed_follow_up_more_than_three_years_ago_does_not_flag(cadre_a):
    failed_followup(cadre_a, "2023-06-14")
    flags_evaluate()
    assert flags(cadre_a) == []


def test_a_failed_front_line_inspection_counts_as_a_failed_follow_up(cadre_a):
    case(cadre_a, approved_on="2025-01-10", frontline_result="failed", frontline_checked_on=TODAY)
    flags_evaluate()
    assert open_keys(cadre_a) == {"flag_recall:followup_failed"}


def test_recalled_twice_within_three_years_flags_and_once_does_not(cadre_a, cadre_b):
    first = case(cadre_a, approved_on="2024-01-10")
    second = case(cadre_a, approved_on="2026-01-10", proposed_on="2026-01-05")
    case(cadre_b, approved_on="2026-01-10")
    case(cadre_b, approved_on="2023-06-01")  # more than three years ago
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.rule_key == "flag_recall:recalled_2"
    assert flag.anchor == f"cases:{first.pk},{second.pk}"
    assert flags(cadre_b) == []


# --------------------------------------------------------------------------- 赛马末位


def test_last_place_two_annual_periods_running_flags(cadre_a, cadre_b):
    one = standing(cadre_a, 2024, 30, 30)
    two = standing(cadre_a, 2025, 12, 12, track="project")
    standing(cadre_b, 2024, 30, 30)
    standing(cadre_b, 2025, 29, 30)  # second to last
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.rule_key == "flag_track:bottom_2"
    assert flag.facts == [
        {
            "label": "2024年度赛马排名（乡村振兴）",
            "value": "第 30 名，共 30 名（末位）",
            "ref": {"model": "recall.trackstanding", "id": one.pk},
        },
        {
            "label": "2025年度赛马排名（项目建设）",
            "value": "第 12 名，共 12 名（末位）",
            "ref": {"model": "recall.trackstanding", "id": two.pk},
        },
    ]
    assert flags(cadre_b) == []


# --------------------------------------------------------------------------- 主要负责人不作为


def test_a_proposal_waiting_exactly_fifteen_days_does_not_flag_the_main_leader(tree, cadre_a):
    leader = CadreFactory(unit=tree["town_a"], name="镇党委书记")
    main_leader(tree["town_a"], leader)
    case(cadre_a, stage=Stage.PROPOSED, proposed_on="2026-05-31")
    flags_evaluate()
    assert flags() == []


def test_a_proposal_waiting_sixteen_days_flags_the_main_leader_with_the_wait(tree, cadre_a):
    leader = CadreFactory(unit=tree["town_a"], name="镇党委书记")
    main_leader(tree["town_a"], leader)
    stale = case(cadre_a, stage=Stage.PROPOSED, proposed_on="2026-05-30")
    flags_evaluate()
    (flag,) = flags()
    assert flag.cadre == leader
    assert flag.rule_key == "flag_inaction:"
    assert flag.anchor == f"cases:{stale.pk}"
    assert flag.facts == [
        {
            "label": "召回提议：张三",
            "value": "2026-05-30提议，已搁置 16 天",
            "ref": {"model": "recall.recallcase", "id": stale.pk},
        }
    ]


def test_a_unit_without_a_main_leader_flags_nobody(cadre_a):
    case(cadre_a, stage=Stage.PROPOSED, proposed_on="2026-01-05")
    flags_evaluate()
    assert flags() == []


def test_the_main_leader_closes_out_when_the_proposal_is_handled(tree, cadre_a):
    leader = CadreFactory(unit=tree["town_a"])
    main_leader(tree["town_a"], leader)
    stale = case(cadre_a, stage=Stage.PROPOSED, proposed_on="2026-05-01")
    flags_evaluate()
    stale.stage = Stage.APPROVED
    stale.approved_on = TODAY
    stale.save()
    flags_evaluate()
    (flag,) = flags(leader)
    assert flag.status == FlagStatus.CLOSED
    assert flag.close_reason == "所涉召回提议均已办理，预警条件不再成立"


# --------------------------------------------------------------------------- reconciling


def test_a_second_run_writes_nothing(tree, cadre_a, cadre_b):
    grade(cadre_a, 2024, "基本称职")
    grade(cadre_a, 2025, "不称职")
    talk(cadre_b, "yuetan", "2026-02-10")
    talk(cadre_b, "yuetan", "2026-03-10")
    leader = CadreFactory(unit=tree["town_a"])
    main_leader(tree["town_a"], leader)
    case(cadre_a, stage=Stage.PROPOSED, proposed_on="2026-04-01")
    first = flags_evaluate()
    assert first["raised"] == 4 and first["open"] == 4
    entries = AuditEntry.objects.count()
    before = [(f.pk, f.status, f.facts, f.anchor, f.raised_at) for f in flags()]
    with CaptureQueriesContext(connection) as queries:
        second = flags_evaluate()
    assert writes(queries) == []
    assert second == {"raised": 0, "updated": 0, "closed": 0, "reopened": 0, "open": 4}
    assert [(f.pk, f.status, f.facts, f.anchor, f.raised_at) for f in flags()] == before
    assert AuditEntry.objects.count() == entries


def test_raised_and_closed_flags_are_in_the_audit_trail_by_the_system(cadre_a):
    a = grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    (flag,) = flags(cadre_a)
    raised = AuditEntry.objects.get(model="recall.flag", object_id=str(flag.pk), action="create")
    assert raised.actor is None and raised.actor_label == "系统"
    assert raised.cadre_id == cadre_a.pk
    assert raised.scope_path == cadre_a.unit.path
    assert raised.object_repr == "张三：预警：年度等次（不称职1年）"
    a.final_grade = "称职"
    a.save()
    flags_evaluate()
    closed = AuditEntry.objects.get(model="recall.flag", object_id=str(flag.pk), action="update")
    assert closed.changes["status"] == [FlagStatus.OPEN, FlagStatus.CLOSED]


def test_a_flag_closes_itself_when_the_grade_is_adjusted(cadre_a):
    a = grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    a.final_grade = "称职"
    a.save()
    summary = flags_evaluate()
    (flag,) = flags(cadre_a)
    assert summary["closed"] == 1 and summary["open"] == 0
    assert flag.status == FlagStatus.CLOSED
    assert flag.closed_at is not None
    assert flag.close_reason == "2025年度考核等次已调整为称职，预警条件不再成立"


def test_a_flag_closes_when_a_better_year_is_published(cadre_a):
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    grade(cadre_a, 2026, "称职")
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.close_reason == "2026年度考核等次为称职，预警条件不再成立"


def test_a_closed_flag_reopens_when_its_facts_hold_again(cadre_a):
    a = grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    a.final_grade = "称职"
    a.save()
    flags_evaluate()
    a.final_grade = "不称职"
    a.save()
    summary = flags_evaluate()
    (flag,) = flags(cadre_a)
    assert summary["reopened"] == 1
    assert flag.status == FlagStatus.OPEN
    assert flag.close_reason == "" and flag.closed_at is None


def test_a_dismissed_flag_is_left_alone_and_not_raised_again_on_the_same_facts(cadre_a):
    a = grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    Flag.objects.update(status=FlagStatus.DISMISSED, review_reason="经研判，系客观原因")
    flags_evaluate()
    assert [f.status for f in flags(cadre_a)] == [FlagStatus.DISMISSED]
    a.final_grade = "称职"  # the condition goes away: a reviewed flag still stays as reviewed
    a.save()
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert (flag.status, flag.close_reason) == (FlagStatus.DISMISSED, "")


def test_a_reviewed_flag_does_not_stop_new_facts_from_raising_a_new_flag(cadre_a):
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    Flag.objects.update(status=FlagStatus.DECIDED)
    grade(cadre_a, 2026, "不称职")
    flags_evaluate()
    assert [(f.anchor, f.status) for f in flags(cadre_a, "flag_grade:incompetent")] == [
        ("2025", FlagStatus.DECIDED),
        ("2026", FlagStatus.OPEN),
    ]


def test_an_open_flag_follows_its_facts_to_the_next_year(cadre_a):
    grade(cadre_a, 2024, "基本称职")
    grade(cadre_a, 2025, "基本称职")
    flags_evaluate()
    grade(cadre_a, 2026, "不称职")
    summary = flags_evaluate()
    (basic,) = flags(cadre_a, "flag_grade:basic_2")
    assert summary["updated"] == 1
    assert basic.status == FlagStatus.OPEN and basic.anchor == "2025-2026"


def test_new_facts_about_the_same_year_update_the_open_flag(cadre_a):
    talk(cadre_a, "yuetan", "2026-02-10")
    talk(cadre_a, "yuetan", "2026-03-10")
    flags_evaluate()
    talk(cadre_a, "admonish", "2026-04-10")
    summary = flags_evaluate()
    (flag,) = flags(cadre_a)
    assert summary == {"raised": 0, "updated": 1, "closed": 0, "reopened": 0, "open": 1}
    assert len(flag.facts) == 3


def test_exempting_an_interview_closes_the_flag_it_raised(cadre_a):
    talk(cadre_a, "yuetan", "2026-02-10")
    second = talk(cadre_a, "yuetan", "2026-03-10")
    flags_evaluate()
    decision = tolerate(MatterType.INTERVIEW, second, "2026-04-01")
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.status == FlagStatus.CLOSED
    assert flag.close_reason == (
        f"所涉事项经容错纠错认定为可容（2026-04-01，flag_clerk认定，认定编号 {decision.pk}），预警条件不再成立"
    )


def test_a_cadre_who_left_the_post_has_the_flag_closed(cadre_a):
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    cadre_a.status = CadreStatus.RETIRED
    cadre_a.save()
    flags_evaluate()
    (flag,) = flags(cadre_a)
    assert flag.close_reason == "干部状态已为“退休”，不再担任现职，预警条件不再成立"


# --------------------------------------------------------------------------- policy per unit


def test_a_county_that_disables_a_rule_closes_its_flags_and_others_keep_theirs(tree, cadre_a, cadre_b):
    grade(cadre_a, 2025, "不称职")
    grade(cadre_b, 2025, "不称职")
    flags_evaluate()
    unit_rule(tree["county_a"], RuleKind.FLAG_GRADE, "incompetent", enabled=False)
    flags_evaluate()
    (closed,) = flags(cadre_a)
    assert closed.status == FlagStatus.CLOSED
    assert closed.close_reason == "预警规则“预警：年度等次（不称职1年）”已停用（甲县）"
    assert open_keys(cadre_b) == {"flag_grade:incompetent"}


def test_a_county_may_set_its_own_share_of_incompetent_votes(tree, cadre_a, cadre_b):
    annual(2024)
    unit_rule(tree["county_a"], RuleKind.FLAG_VOTES, "third", {"share": "1/2", "years": 1})
    votes(cadre_a, 2025, incompetent=40, total=100)
    votes(cadre_b, 2025, incompetent=40, total=100)
    flags_evaluate()
    assert flags(cadre_a) == []
    assert open_keys(cadre_b) == {"flag_votes:third"}


def test_a_disabled_default_rule_raises_nothing(cadre_a):
    PolicyRule.objects.filter(kind=RuleKind.FLAG_GRADE).update(enabled=False)
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    assert flags(cadre_a) == []


# --------------------------------------------------------------------------- scale


def _registry(tree, count: int) -> None:
    """``count`` more cadres over two towns, each firing every default rule (their towns' main
    leaders are flagged for the proposals left waiting)."""
    towns = [tree["town_a"], tree["town_b"]]
    for town in towns:
        if not TeamMembership.objects.filter(unit=town, is_main_leader=True).exists():
            main_leader(town, CadreFactory(unit=town))
    for n in range(count):
        cadre = CadreFactory(unit=towns[n % 2])
        grade(cadre, 2024, "基本称职")
        votes(cadre, 2025, incompetent=40, total=100, final="不称职")
        talk(cadre, "yuetan", "2026-02-10")
        talk(cadre, "admonish", "2026-03-10")
        failed_followup(cadre, "2025-03-01")
        standing(cadre, 2024, 10, 10)
        standing(cadre, 2025, 10, 10)
        case(cadre, stage=Stage.PROPOSED, proposed_on="2026-04-01")


def test_the_jobs_queries_do_not_grow_with_the_registry(tree):
    _registry(tree, 2)
    with CaptureQueriesContext(connection) as small:
        first = flags_evaluate()
    Flag.objects.all().delete()
    _registry(tree, 6)
    with CaptureQueriesContext(connection) as large:
        second = flags_evaluate()
    assert second["raised"] > first["raised"]
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_run_with_nothing_to_change_only_reads_each_table_once(tree, django_assert_num_queries):
    _registry(tree, 4)
    flags_evaluate()
    # savepoint; the rules; units; cadres; published periods; grades; talks; recall cases; votes;
    # track standings; the tracks' names; waiting proposals; main leaders; open flags; other
    # flags; release (and the advisory lock on PostgreSQL)
    with django_assert_num_queries(16 + (connection.vendor == "postgresql")):
        summary = flags_evaluate()
    assert summary["raised"] == summary["closed"] == summary["updated"] == 0


def test_a_job_reports_progress(cadre_a):
    from core.jobs import job_run
    from core.models import Job, JobState
    from recall.tasks import JOB_KIND

    grade(cadre_a, 2025, "不称职")
    job = Job.objects.create(kind=JOB_KIND, params={"reason": "测试"})
    job_run(str(job.id))
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.done == job.total > 0
    assert job.result["raised"] == 1


def test_today_can_be_given(cadre_a):
    talk(cadre_a, "yuetan", "2024-02-10")
    talk(cadre_a, "yuetan", "2024-03-10")
    flags_evaluate(today=datetime.date(2024, 12, 31))
    assert [f.anchor for f in flags(cadre_a)] == ["2024"]


# --------------------------------------------------------------------------- narrowed to cadres


def test_an_evaluation_of_some_cadres_leaves_the_others_flags_alone(cadre_a, cadre_b):
    a = grade(cadre_a, 2025, "不称职")
    b = grade(cadre_b, 2025, "不称职")
    flags_evaluate()
    for assessment in (a, b):
        assessment.final_grade = "称职"
        assessment.save()
    summary = flags_evaluate(cadre_ids=[cadre_a.pk])
    assert summary == {"raised": 0, "updated": 0, "closed": 1, "reopened": 0, "open": 0}
    assert [f.status for f in flags(cadre_a)] == [FlagStatus.CLOSED]
    assert [f.status for f in flags(cadre_b)] == [FlagStatus.OPEN]


def test_an_evaluation_of_a_main_leader_looks_at_the_proposals_in_the_units_he_leads(tree, cadre_a, cadre_b):
    leader = CadreFactory(unit=tree["town_a"])
    main_leader(tree["town_a"], leader)
    case(cadre_a, stage=Stage.PROPOSED, proposed_on="2026-04-01")
    flags_evaluate(cadre_ids=[cadre_a.pk, cadre_b.pk])
    assert flags() == []
    flags_evaluate(cadre_ids=[leader.pk])
    assert open_keys(leader) == {"flag_inaction:"}


def test_a_leader_with_many_waiting_proposals_gets_an_anchor_that_fits(tree):
    leader = CadreFactory(unit=tree["town_a"])
    main_leader(tree["town_a"], leader)
    for _ in range(30):
        case(CadreFactory(unit=tree["town_a"]), stage=Stage.PROPOSED, proposed_on="2026-04-01")
    flags_evaluate()
    (flag,) = flags(leader)
    assert len(flag.facts) == 30
    assert len(flag.anchor) <= 100 and flag.anchor.startswith("cases:")
    assert flags_evaluate()["updated"] == 0
    RecallCase.objects.update(stage=Stage.REJECTED)
    flags_evaluate()
    flag.refresh_from_db()
    assert flag.close_reason == "所涉召回提议均已办理，预警条件不再成立"
