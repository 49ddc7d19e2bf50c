"""The 约谈 workflow and reminders, through the services."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from audit.models import AuditEntry
from core import registry
from supervision.models import Interview, InterviewStatus, Reminder, ReminderKind
from supervision.selectors.interviews import todo_for, yuetan_counts
from supervision.services import interviews as svc
from supervision.signals import interviews_changed
from tests.supervision.conftest import days_ago


def test_a_cadre_interview_walks_from_proposal_to_review(walk, cadre_a, leader_reason, users):
    staff, head = walk["staff"], walk["head"]
    interview = walk["propose_cadre"](cadre_a, leader_reason)
    assert interview.status == InterviewStatus.PROPOSED
    interview = walk["to_conducted"](interview, conducted_ago=10)
    assert interview.status == InterviewStatus.CONDUCTED
    assert interview.report_due == _one_month(days_ago(10))
    interview = svc.yuetan_record_aftermath(
        actor=staff, interview=interview, main_leader_informed_on=days_ago(9)
    )
    interview = svc.yuetan_receive_report(
        actor=staff, interview=interview, received_on=days_ago(2), summary="已整改"
    )
    interview = svc.yuetan_review(
        actor=head, interview=interview, improved=False, note="整改不实", follow_up="admonish"
    )
    assert interview.status == InterviewStatus.NOT_IMPROVED
    assert interview.follow_up == "admonish"
    assert AuditEntry.objects.filter(model="supervision.interview", object_id=str(interview.pk)).count() == 7


def _one_month(day):
    month = day.month % 12 + 1
    year = day.year + (day.month == 12)
    import calendar

    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def test_the_report_is_due_one_month_after_the_talk(walk, cadre_a, leader_reason):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=10)
    assert interview.report_due == _one_month(days_ago(10))


def test_only_a_department_head_may_approve(walk, cadre_a, leader_reason):
    interview = walk["propose_cadre"](cadre_a, leader_reason)
    with pytest.raises(PermissionDenied) as err:
        svc.yuetan_approve(actor=walk["staff"], interview=interview)
    assert "部长" in str(err.value)
    assert Interview.objects.get(pk=interview.pk).status == InterviewStatus.PROPOSED


def test_conducting_before_approval_is_refused_with_what_must_come_first(walk, cadre_a, leader_reason):
    interview = walk["propose_cadre"](cadre_a, leader_reason)
    with pytest.raises(svc.StepRefused) as err:
        svc.yuetan_conduct(
            actor=walk["staff"], interview=interview, conducted_on=days_ago(1), interviewers="x", record="y"
        )
    assert "当前状态为“已提议”" in err.value.message
    assert "审批" in err.value.message
    assert Interview.objects.get(pk=interview.pk).status == InterviewStatus.PROPOSED


def test_a_report_cannot_be_received_before_the_main_leader_is_informed(walk, cadre_a, leader_reason):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason))
    with pytest.raises(svc.StepRefused) as err:
        svc.yuetan_receive_report(
            actor=walk["staff"], interview=interview, received_on=days_ago(1), summary="x"
        )
    assert "主要负责人" in err.value.message


def test_a_team_interview_records_the_team_meeting(walk, users, tree, team_reason):
    staff = walk["staff"]
    interview = walk["to_conducted"](walk["propose_team"](tree["town_a"], team_reason))
    with pytest.raises(ValidationError) as err:
        svc.yuetan_record_aftermath(actor=staff, interview=interview, team_meeting_on=days_ago(30))
    assert "班子会议" in err.value.message_dict["team_meeting_report"][0]
    interview = svc.yuetan_record_aftermath(
        actor=staff,
        interview=interview,
        team_meeting_on=days_ago(30),
        team_meeting_report="召开党委会，议定整改措施5条",
    )
    assert interview.team_meeting_on == days_ago(30)


def test_team_reasons_are_refused_for_a_cadre(walk, cadre_a, team_reason):
    with pytest.raises(ValidationError) as err:
        walk["propose_cadre"](cadre_a, team_reason)
    assert "不适用于领导干部个人" in err.value.message_dict["reasons"][0]


def test_not_improved_needs_a_follow_up_proposal(walk, cadre_a, leader_reason):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason))
    svc.yuetan_record_aftermath(
        actor=walk["staff"], interview=interview, main_leader_informed_on=days_ago(39)
    )
    svc.yuetan_receive_report(
        actor=walk["staff"], interview=interview, received_on=days_ago(5), summary="报告"
    )
    with pytest.raises(ValidationError) as err:
        svc.yuetan_review(actor=walk["staff"], interview=interview, improved=False, note="没改")
    assert "诫勉或组织处理" in err.value.message_dict["follow_up"][0]


def test_an_overdue_report_can_be_judged_not_improved_without_a_report(walk, cadre_a, leader_reason):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=40)
    interview = svc.yuetan_review(
        actor=walk["staff"], interview=interview, improved=False, note="逾期未交", follow_up="organizational"
    )
    assert interview.status == InterviewStatus.NOT_IMPROVED


def test_a_report_not_yet_due_cannot_be_skipped(walk, cadre_a, leader_reason):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=3)
    with pytest.raises(svc.StepRefused):
        svc.yuetan_review(
            actor=walk["staff"], interview=interview, improved=False, note="x", follow_up="admonish"
        )


def test_read_only_roles_cannot_record(users, cadre_a, leader_reason):
    for role in (Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            svc.interview_record(
                actor=users[role],
                kind="talk",
                subject_type="cadre",
                cadre=cadre_a,
                conducted_on=days_ago(1),
                record="x",
            )


def test_an_out_of_scope_cadre_is_refused(users, cadre_b):
    with pytest.raises(ValidationError) as err:
        svc.interview_record(
            actor=users[Role.STAFF],
            kind="talk",
            subject_type="cadre",
            cadre=cadre_b,
            conducted_on=days_ago(1),
            record="x",
        )
    assert "管辖范围" in err.value.message_dict["cadre"][0]


def test_a_talk_in_the_future_is_refused(users, cadre_a):
    with pytest.raises(ValidationError) as err:
        svc.interview_record(
            actor=users[Role.STAFF],
            kind="talk",
            subject_type="cadre",
            cadre=cadre_a,
            conducted_on=days_ago(-1),
            record="x",
        )
    assert "不能晚于今天" in err.value.message_dict["conducted_on"][0]


# ---------------------------------------------------------------- reminders


def test_reminder_job_run_twice_raises_one_reminder_per_due_event(walk, cadre_a, leader_reason, tree):
    due_soon = walk["to_conducted"](
        walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=26
    )  # due in ~4-5 days
    overdue = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=45)
    far = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=2)
    first = svc.reminders_scan()
    second = svc.reminders_scan()
    assert first["created"] == 2
    assert second["created"] == 0
    kinds = dict(Reminder.objects.values_list("interview_id", "kind"))
    assert kinds == {due_soon.pk: "due_soon", overdue.pk: "overdue"}
    assert far.pk not in kinds


def test_a_due_soon_reminder_is_followed_by_an_overdue_one_later(walk, cadre_a, leader_reason):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=26)
    svc.reminders_scan()
    svc.reminders_scan(today=interview.report_due + datetime.timedelta(days=1))
    assert sorted(Reminder.objects.filter(interview=interview).values_list("kind", flat=True)) == [
        "due_soon",
        "overdue",
    ]


def test_receiving_the_report_resolves_the_reminders(walk, cadre_a, leader_reason):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=45)
    svc.reminders_scan()
    svc.yuetan_record_aftermath(
        actor=walk["staff"], interview=interview, main_leader_informed_on=days_ago(44)
    )
    svc.yuetan_receive_report(
        actor=walk["staff"], interview=interview, received_on=days_ago(0), summary="迟交"
    )
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()
    svc.reminders_scan()
    assert Reminder.objects.count() == 1


def test_reminders_reach_the_responsible_staff_and_heads_see_pending_approvals(
    walk, cadre_a, leader_reason, users
):
    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=45)
    walk["propose_cadre"](cadre_a, leader_reason)
    svc.reminders_scan()
    assert todo_for(users[Role.STAFF])["reminders"].count() == 1
    assert todo_for(users[Role.HEAD])["reminders"].count() == 0
    assert todo_for(users[Role.HEAD])["approvals"].count() == 1
    assert todo_for(users[Role.STAFF])["approvals"].count() == 0


def test_the_daily_job_is_scheduled_in_celery_beat_and_runs_the_report_scan(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-daily"]
    assert entry["task"] == "core.scan_reminders"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {0})
    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks.py
    # the former name stays for tasks queued before the rename
    assert {"core.scan_reminders", "supervision.scan_reminders"} <= set(app.tasks)
    assert "supervision.interviews" in [scan.key for scan in registry.reminder_scans()]


def test_the_daily_job_raises_the_overdue_report_reminder_under_both_task_names(walk, cadre_a, leader_reason):
    from core.tasks import scan_reminders
    from supervision.tasks import scan_reminders as former_name

    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=45)
    result = scan_reminders.delay().get()
    assert result["supervision.interviews"]["created"] == 1
    assert Reminder.objects.filter(kind=ReminderKind.OVERDUE).count() == 1
    assert former_name.delay().get()["supervision.interviews"]["created"] == 0
    assert Reminder.objects.count() == 1


# ---------------------------------------------------------------- effects


def test_recording_an_interview_signals_the_grading_engine_after_commit(
    users, cadre_a, django_capture_on_commit_callbacks
):
    received = []

    def listener(sender, interview_ids, unit_paths, **kwargs):
        received.append((interview_ids, unit_paths))

    interviews_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            interview = svc.interview_record(
                actor=users[Role.STAFF],
                kind="talk",
                subject_type="cadre",
                cadre=cadre_a,
                conducted_on=days_ago(1),
                record="谈心",
            )
    finally:
        interviews_changed.disconnect(listener)
    assert received == [([interview.pk], [cadre_a.unit.path])]


def test_conducted_interviews_are_counted_per_cadre_and_team_for_the_caps(
    walk, cadre_a, leader_reason, tree, team_reason
):
    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=40)
    walk["propose_cadre"](cadre_a, leader_reason)  # only proposed: does not count
    walk["to_conducted"](walk["propose_team"](tree["town_a"], team_reason), conducted_ago=40)
    counts = yuetan_counts(year=days_ago(40).year)
    assert counts["cadres"] == {cadre_a.pk: [days_ago(40)]}
    assert counts["teams"] == {tree["town_a"].pk: [days_ago(40)]}
