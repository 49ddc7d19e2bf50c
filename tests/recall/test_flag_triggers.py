"""What starts the flag job: publishing or correcting annual results and changes of talks; the
grades of a period still open start nothing."""

import datetime

import pytest

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus
from assessment.services.periods import period_create, period_transition
from assessment.services.scores import assessment_correct, scores_save
from core.models import Job
from recall.models import Flag, FlagStatus
from recall.tasks import JOB_KIND
from supervision.services.interviews import interview_record

from .flag_facts import TODAY

LOW = dict.fromkeys(["德", "能", "勤", "绩", "廉", "民主测评"], 40)
FAIR = dict.fromkeys(["德", "能", "勤", "绩", "廉", "民主测评"], 85)


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


@pytest.fixture
def graded(users, cadre_a, cadre_b, django_capture_on_commit_callbacks):
    """2025 annual period being graded: 张三 scored 40 (不称职), 李四 85."""
    actor = users["city_staff"]
    with django_capture_on_commit_callbacks(execute=True):
        period = period_create(actor=actor, name="2025年度干部考核", year=2025)
        period = period_transition(actor=actor, period=period, to=PeriodStatus.COLLECTING)
        scores_save(
            actor=actor,
            period=period,
            entries=[{"cadre": cadre_a, "scores": LOW}, {"cadre": cadre_b, "scores": FAIR}],
        )
        period = period_transition(actor=actor, period=period, to=PeriodStatus.GRADING)
    return period


def test_grades_of_a_period_being_graded_start_no_flag_job(graded, cadre_a):
    assert Assessment.objects.get(period=graded, cadre=cadre_a).final_grade == "不称职"
    assert not Job.objects.filter(kind=JOB_KIND).exists()
    assert not Flag.objects.exists()


def test_publishing_the_annual_results_raises_the_flags(
    users, graded, cadre_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        period_transition(actor=users[Role.HEAD], period=graded, to=PeriodStatus.PUBLISHED)
    (flag,) = Flag.objects.all()
    assert (flag.cadre, flag.rule_key, flag.anchor) == (cadre_a, "flag_grade:incompetent", "2025")
    assert Job.objects.filter(kind=JOB_KIND, state="done").exists()


def test_a_correction_of_a_published_grade_closes_the_flag(
    users, graded, cadre_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        period_transition(actor=users[Role.HEAD], period=graded, to=PeriodStatus.PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_correct(
            actor=users[Role.STAFF],
            assessment=Assessment.objects.get(period=graded, cadre=cadre_a),
            reason="复核发现评分录入错误",
            scores=FAIR,
        )
    (flag,) = Flag.objects.all()
    assert flag.status == FlagStatus.CLOSED
    assert flag.close_reason == "2025年度考核等次已调整为称职，预警条件不再成立"


def test_recorded_talks_raise_the_flag(users, cadre_a, django_capture_on_commit_callbacks):
    for on in ("2026-02-10", "2026-04-01"):
        with django_capture_on_commit_callbacks(execute=True):
            interview_record(
                actor=users[Role.STAFF],
                kind="admonish",
                subject_type="cadre",
                cadre=cadre_a,
                conducted_on=datetime.date.fromisoformat(on),
                record="诫勉谈话记录",
            )
    (flag,) = Flag.objects.all()
    assert (flag.cadre, flag.rule_key, flag.anchor) == (cadre_a, "flag_interviews:2", "2026")


def test_a_recorded_talk_evaluates_only_the_cadre_talked_to(
    users, cadre_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        interview_record(
            actor=users[Role.STAFF],
            kind="admonish",
            subject_type="cadre",
            cadre=cadre_a,
            conducted_on=datetime.date(2026, 2, 10),
            record="诫勉谈话记录",
        )
    (job,) = Job.objects.filter(kind=JOB_KIND)
    assert job.params["cadre_ids"] == [cadre_a.pk]
    assert job.state == "done"


def test_a_team_talk_starts_no_flag_job(users, tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        interview_record(
            actor=users[Role.STAFF],
            kind="reminder",
            subject_type="team",
            unit=tree["town_a"],
            conducted_on=datetime.date(2026, 2, 10),
            record="提醒谈话记录",
        )
    assert not Job.objects.filter(kind=JOB_KIND).exists()
