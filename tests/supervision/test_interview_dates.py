"""The dates of the 约谈 steps: entered by the user (today by default), in workflow order, never in
the future; the report falls due a month after the talk's date; reminders and the overdue badge at
fixed days around the due date; the caps count only talks held in the year."""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from supervision.models import Interview, InterviewStatus, Reminder
from supervision.selectors.interview_profile import report_state
from supervision.selectors.interviews import yuetan_counts
from supervision.services import interviews as svc

D = datetime.date.fromisoformat


@pytest.fixture
def steps(users, leader_reason, team_reason):
    """Take a 约谈 through its steps with explicit dates."""
    staff, head = users[Role.STAFF], users[Role.HEAD]

    class Steps:
        def propose(self, cadre, on, **kw):
            return svc.yuetan_propose(
                actor=staff, subject_type="cadre", cadre=cadre, reasons=[leader_reason], proposed_on=on, **kw
            )

        def propose_team(self, unit, on):
            return svc.yuetan_propose(
                actor=staff, subject_type="team", unit=unit, reasons=[team_reason], proposed_on=on
            )

        def approve(self, interview, on):
            return svc.yuetan_approve(actor=head, interview=interview, approved_on=on)

        def notice(self, interview, on):
            return svc.yuetan_send_notice(actor=staff, interview=interview, notice_sent_on=on)

        def conduct(self, interview, on):
            return svc.yuetan_conduct(
                actor=staff, interview=interview, conducted_on=on, interviewers="李部长", record="约谈记录"
            )

        def inform(self, interview, on):
            return svc.yuetan_record_aftermath(actor=staff, interview=interview, main_leader_informed_on=on)

        def report(self, interview, on):
            return svc.yuetan_receive_report(
                actor=staff, interview=interview, received_on=on, summary="整改报告"
            )

        def review(self, interview, on, improved=True):
            return svc.yuetan_review(
                actor=head,
                interview=interview,
                improved=improved,
                note="评估意见",
                follow_up="" if improved else "admonish",
                reviewed_on=on,
            )

        def held(self, cadre, talk: str):
            """A 约谈 of the cadre held on ``talk``, each earlier step a few days before."""
            day = D(talk)
            interview = self.propose(cadre, day - datetime.timedelta(days=10))
            self.approve(interview, day - datetime.timedelta(days=7))
            self.notice(interview, day - datetime.timedelta(days=3))
            return self.conduct(interview, day)

    return Steps()


def refused(call, field):
    with pytest.raises(ValidationError) as err:
        call()
    return err.value.message_dict[field][0]


# ---------------------------------------------------------------- each step's date is the user's


def test_a_talk_recorded_weeks_later_keeps_the_dates_entered_for_each_step(clock, steps, cadre_a):
    clock.set("2026-04-20")
    interview = steps.propose(cadre_a, D("2026-03-01"))
    steps.approve(interview, D("2026-03-05"))
    steps.notice(interview, D("2026-03-06"))
    steps.conduct(interview, D("2026-03-10"))
    steps.inform(interview, D("2026-03-11"))
    steps.report(interview, D("2026-04-08"))
    steps.review(interview, D("2026-04-15"))
    i = Interview.objects.get(pk=interview.pk)
    assert (i.proposed_on, i.approved_on, i.notice_sent_on, i.conducted_on) == (
        D("2026-03-01"),
        D("2026-03-05"),
        D("2026-03-06"),
        D("2026-03-10"),
    )
    assert (i.main_leader_informed_on, i.report_received_on, i.reviewed_on) == (
        D("2026-03-11"),
        D("2026-04-08"),
        D("2026-04-15"),
    )
    assert i.report_due == D("2026-04-10")  # a month after the talk, not after the day it was recorded


def test_a_step_without_a_date_is_dated_today_in_beijing_time(clock, steps, cadre_a):
    # 2026-06-14 23:30 UTC is already the 15th in Asia/Shanghai
    clock.set("2026-06-15", hour=7)
    interview = steps.propose(cadre_a, None)
    for step in (steps.approve, steps.notice, steps.conduct, steps.inform, steps.report, steps.review):
        interview = step(interview, None)
    i = Interview.objects.get(pk=interview.pk)
    assert {
        i.proposed_on,
        i.approved_on,
        i.notice_sent_on,
        i.conducted_on,
        i.main_leader_informed_on,
        i.report_received_on,
        i.reviewed_on,
    } == {D("2026-06-15")}
    assert i.report_due == D("2026-07-15")


@pytest.mark.parametrize(
    ("step", "field", "label"),
    [
        ("propose", "proposed_on", "提议日期"),
        ("approve", "approved_on", "审批日期"),
        ("notice", "notice_sent_on", "预告日期"),
        ("conduct", "conducted_on", "约谈日期"),
        ("inform", "main_leader_informed_on", "通报主要负责人日期"),
        ("report", "report_received_on", "整改报告提交日期"),
        ("review", "reviewed_on", "评估日期"),
    ],
)
def test_no_step_may_be_dated_in_the_future(clock, steps, cadre_a, step, field, label):
    clock.set("2026-06-15")
    order = ["propose", "approve", "notice", "conduct", "inform", "report", "review"]
    interview = None
    for done in order[: order.index(step)]:
        interview = (
            steps.propose(cadre_a, D("2026-06-01"))
            if done == "propose"
            else getattr(steps, done)(interview, D("2026-06-10"))
        )
    if step == "propose":
        message = refused(lambda: steps.propose(cadre_a, D("2026-06-16")), field)
    else:
        message = refused(lambda: getattr(steps, step)(interview, D("2026-06-16")), field)
    assert message == f"{label}（2026-06-16）不能晚于今天（2026-06-15）。"


# ---------------------------------------------------------------- the dates run in workflow order


def test_an_approval_dated_before_the_proposal_is_refused(clock, steps, cadre_a):
    interview = steps.propose(cadre_a, D("2026-03-05"))
    message = refused(lambda: steps.approve(interview, D("2026-03-01")), "approved_on")
    assert message == "审批日期（2026-03-01）不能早于提议日期（2026-03-05）。"
    assert Interview.objects.get(pk=interview.pk).status == InterviewStatus.PROPOSED


def test_a_notice_dated_before_the_approval_is_refused(clock, steps, cadre_a):
    interview = steps.approve(steps.propose(cadre_a, D("2026-03-01")), D("2026-03-05"))
    message = refused(lambda: steps.notice(interview, D("2026-03-04")), "notice_sent_on")
    assert message == "预告日期（2026-03-04）不能早于批准日期（2026-03-05）。"
    unchanged = Interview.objects.get(pk=interview.pk)
    assert unchanged.status == InterviewStatus.APPROVED and unchanged.notice_sent_on is None


def test_a_talk_dated_before_the_approval_names_the_approval(clock, steps, cadre_a):
    interview = steps.approve(steps.propose(cadre_a, D("2026-02-20")), D("2026-03-05"))
    interview = steps.notice(interview, D("2026-03-06"))
    message = refused(lambda: steps.conduct(interview, D("2026-03-01")), "conducted_on")
    assert message == "约谈日期（2026-03-01）不能早于批准日期（2026-03-05）。"
    assert Interview.objects.get(pk=interview.pk).conducted_on is None


def test_a_talk_dated_between_approval_and_notice_names_the_notice(clock, steps, cadre_a):
    interview = steps.approve(steps.propose(cadre_a, D("2026-02-20")), D("2026-03-05"))
    interview = steps.notice(interview, D("2026-03-08"))
    message = refused(lambda: steps.conduct(interview, D("2026-03-06")), "conducted_on")
    assert message == "约谈日期（2026-03-06）不能早于预告日期（2026-03-08）。"


def test_a_report_dated_before_the_talk_is_refused(clock, steps, cadre_a):
    interview = steps.inform(steps.held(cadre_a, "2026-03-10"), D("2026-03-10"))
    message = refused(lambda: steps.report(interview, D("2026-03-09")), "report_received_on")
    assert message == "整改报告提交日期（2026-03-09）不能早于约谈日期（2026-03-10）。"
    assert Interview.objects.get(pk=interview.pk).status == InterviewStatus.CONDUCTED


def test_a_report_dated_before_the_main_leader_was_informed_is_refused(clock, steps, cadre_a):
    interview = steps.inform(steps.held(cadre_a, "2026-03-10"), D("2026-03-12"))
    message = refused(lambda: steps.report(interview, D("2026-03-11")), "report_received_on")
    assert message == "整改报告提交日期（2026-03-11）不能早于通报主要负责人日期（2026-03-12）。"


def test_a_team_meeting_dated_before_the_talk_is_refused(clock, steps, tree, users):
    interview = steps.propose_team(tree["town_a"], D("2026-03-01"))
    steps.approve(interview, D("2026-03-02"))
    steps.notice(interview, D("2026-03-03"))
    steps.conduct(interview, D("2026-03-10"))
    message = refused(
        lambda: svc.yuetan_record_aftermath(
            actor=users[Role.STAFF],
            interview=interview,
            team_meeting_on=D("2026-03-09"),
            team_meeting_report="召开班子会",
        ),
        "team_meeting_on",
    )
    assert message == "班子会议日期（2026-03-09）不能早于约谈日期（2026-03-10）。"


def test_correcting_the_aftermath_after_the_report_cannot_date_it_after_the_report(clock, steps, cadre_a):
    interview = steps.inform(steps.held(cadre_a, "2026-03-10"), D("2026-03-11"))
    interview = steps.report(interview, D("2026-03-20"))
    message = refused(lambda: steps.inform(interview, D("2026-03-21")), "main_leader_informed_on")
    assert message == "通报主要负责人日期（2026-03-21）不能晚于整改报告提交日期（2026-03-20）。"
    assert steps.inform(interview, D("2026-03-12")).main_leader_informed_on == D("2026-03-12")


def test_a_review_dated_before_the_report_is_refused(clock, steps, cadre_a):
    interview = steps.report(
        steps.inform(steps.held(cadre_a, "2026-03-10"), D("2026-03-11")), D("2026-04-01")
    )
    message = refused(lambda: steps.review(interview, D("2026-03-31")), "reviewed_on")
    assert message == "评估日期（2026-03-31）不能早于整改报告提交日期（2026-04-01）。"
    assert Interview.objects.get(pk=interview.pk).status == InterviewStatus.REPORT_RECEIVED


def test_an_overdue_report_is_judged_only_on_a_day_after_it_fell_due(clock, steps, cadre_a):
    clock.set("2026-05-01")
    interview = steps.held(cadre_a, "2026-03-10")  # due 2026-04-10
    message = refused(lambda: steps.review(interview, D("2026-04-10"), improved=False), "reviewed_on")
    assert message == (
        "评估日期（2026-04-10）须晚于整改报告期限（2026-04-10）：逾期未交整改报告的，才可直接评估为整改不到位。"
    )
    assert steps.review(interview, D("2026-04-11"), improved=False).status == InterviewStatus.NOT_IMPROVED


# ---------------------------------------------------------------- the report's due date


@pytest.mark.parametrize(
    ("talk", "due"),
    [
        ("2026-01-31", "2026-02-28"),
        ("2028-01-31", "2028-02-29"),  # a leap year
        ("2026-03-31", "2026-04-30"),
        ("2026-12-15", "2027-01-15"),
    ],
)
def test_the_report_is_due_a_month_after_the_talk_clamped_to_the_months_end(clock, steps, cadre_a, talk, due):
    clock.set(D(due) + datetime.timedelta(days=20))  # recorded well after the talk
    assert steps.held(cadre_a, talk).report_due == D(due)


# ---------------------------------------------------------------- due soon, due, overdue at fixed days
# A talk on 2026-01-31: the report is due 2026-02-28; "due soon" opens 7 days before (02-21).


@pytest.mark.parametrize(
    ("today", "reminder", "overdue_days", "due_soon"),
    [
        ("2026-02-20", None, 0, False),  # 8 days before: not yet
        ("2026-02-21", "due_soon", 0, True),  # exactly 7 days before
        ("2026-02-28", "due_soon", 0, True),  # the due day itself: due, not overdue
        ("2026-03-01", "overdue", 1, False),  # the day after
    ],
)
def test_the_report_reminder_around_the_due_day(
    clock, steps, cadre_a, today, reminder, overdue_days, due_soon
):
    clock.set("2026-02-05")
    interview = steps.held(cadre_a, "2026-01-31")
    assert interview.report_due == D("2026-02-28")
    clock.set(today)
    svc.reminders_scan()  # the daily job, which reads today from the clock
    assert list(Reminder.objects.filter(interview=interview).values_list("kind", flat=True)) == (
        [reminder] if reminder else []
    )
    state = report_state(Interview.objects.get(pk=interview.pk), timezone.localdate())
    assert (state.overdue_days, state.due_soon) == (overdue_days, due_soon)


def test_on_the_due_day_a_missing_report_cannot_yet_be_judged_overdue(clock, steps, cadre_a):
    clock.set("2026-02-28")
    interview = steps.held(cadre_a, "2026-01-31")
    with pytest.raises(svc.StepRefused) as err:
        steps.review(interview, None, improved=False)
    assert "期限2026-02-28" in err.value.message
    clock.set("2026-03-01")
    assert steps.review(interview, None, improved=False).reviewed_on == D("2026-03-01")


def test_the_detail_page_shows_overdue_only_from_the_day_after_the_due_day(
    clock, client, users, steps, cadre_a
):
    clock.set("2026-02-05")
    interview = steps.held(cadre_a, "2026-01-31")
    url = reverse("supervision:interview_detail", args=[interview.pk])
    clock.set("2026-02-28")
    client.force_login(users[Role.STAFF])  # a session opened weeks earlier would have expired
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "2026-02-28" in page
    assert "已逾期" not in page and "整改不到位（逾期未提交整改报告）" not in page
    clock.set("2026-03-01")
    client.force_login(users[Role.STAFF])
    page = client.get(url).content.decode()
    assert "已逾期1天" in page and "整改不到位（逾期未提交整改报告）" in page


# ---------------------------------------------------------------- the caps count talks held in the year


def test_the_caps_count_talks_held_in_the_year_by_the_talk_date(clock, steps, cadre_a, tree):
    clock.set("2026-02-10")
    last_day = steps.held(cadre_a, "2025-12-31")  # proposed and approved in December too
    steps.held(cadre_a, "2026-01-01")  # next year
    not_held = steps.approve(steps.propose(cadre_a, D("2025-11-01")), D("2025-11-05"))
    steps.notice(not_held, D("2025-11-10"))  # approved and noticed in 2025, never held
    proposed_in_2025 = steps.propose(cadre_a, D("2025-12-20"))
    steps.approve(proposed_in_2025, D("2025-12-28"))
    steps.notice(proposed_in_2025, D("2025-12-29"))
    steps.conduct(proposed_in_2025, D("2026-01-05"))  # proposed in 2025, held in 2026
    assert yuetan_counts(year=2025)["cadres"] == {cadre_a.pk: [last_day.conducted_on]}
    assert yuetan_counts(year=2026)["cadres"] == {cadre_a.pk: [D("2026-01-01"), D("2026-01-05")]}


def test_a_rejected_or_only_approved_team_interview_is_not_counted(clock, steps, tree, users):
    clock.set("2026-02-10")
    rejected = steps.propose_team(tree["town_a"], D("2025-12-01"))
    svc.yuetan_approve(
        actor=users[Role.HEAD],
        interview=rejected,
        approve=False,
        note="改为提醒谈话",
        approved_on=D("2025-12-02"),
    )
    steps.approve(steps.propose_team(tree["town_a"], D("2025-12-03")), D("2025-12-04"))
    assert yuetan_counts(year=2025) == {"cadres": {}, "teams": {}}


# ---------------------------------------------------------------- the API and the pages


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_takes_each_steps_date_and_refuses_a_bad_one_with_both_dates(
    clock, users, cadre_a, leader_reason
):
    clock.set("2026-03-20")
    staff, head = api(users[Role.STAFF]), api(users[Role.HEAD])
    r = staff.post(
        "/api/v1/interviews/",
        {
            "kind": "约谈",
            "subject_type": "cadre",
            "cadre": cadre_a.pk,
            "reasons": [leader_reason.pk],
            "proposed_on": "2026-03-01",
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["proposed_on"] == "2026-03-01"
    url = f"/api/v1/interviews/{r.json()['id']}/"
    r = head.patch(url, {"status": "approved", "approved_on": "2026-03-05"}, format="json")
    assert r.json()["approved_on"] == "2026-03-05"

    r = staff.patch(url, {"status": "notified", "notice_sent_on": "2026-03-04"}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid"
    assert "预告日期（2026-03-04）不能早于批准日期（2026-03-05）" in r.json()["error"]["message"]
    assert r.json()["error"]["fields"]["notice_sent_on"] == [
        "预告日期（2026-03-04）不能早于批准日期（2026-03-05）。"
    ]

    r = staff.patch(url, {"status": "notified", "notice_sent_on": "2026-03-21"}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["notice_sent_on"] == [
        "预告日期（2026-03-21）不能晚于今天（2026-03-20）。"
    ]
    assert Interview.objects.get().status == InterviewStatus.APPROVED

    r = staff.patch(url, {"status": "notified"}, format="json")
    assert r.status_code == 200 and r.json()["notice_sent_on"] == "2026-03-20"  # no date: today


def test_the_api_refuses_a_proposal_dated_in_the_future(clock, users, cadre_a, leader_reason):
    clock.set("2026-03-20")
    r = api(users[Role.STAFF]).post(
        "/api/v1/interviews/",
        {
            "kind": "约谈",
            "subject_type": "cadre",
            "cadre": cadre_a.pk,
            "reasons": [leader_reason.pk],
            "proposed_on": "2026-03-21",
        },
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["proposed_on"] == [
        "提议日期（2026-03-21）不能晚于今天（2026-03-20）。"
    ]
    assert not Interview.objects.exists()


def test_the_step_forms_start_at_today_and_show_a_bad_date_next_to_the_field(
    clock, client, users, steps, cadre_a
):
    clock.set("2026-03-20")
    interview = steps.propose(cadre_a, D("2026-03-05"))
    client.force_login(users[Role.HEAD])
    url = reverse("supervision:interview_detail", args=[interview.pk])
    assert 'name="approved_on" value="2026-03-20"' in client.get(url).content.decode()
    response = client.post(
        reverse("supervision:interview_step", args=[interview.pk, "approve"]),
        {"decision": "approve", "approved_on": "2026-03-01"},
    )
    assert response.status_code == 200
    assert "审批日期（2026-03-01）不能早于提议日期（2026-03-05）。" in response.content.decode()
    assert Interview.objects.get(pk=interview.pk).status == InterviewStatus.PROPOSED


def test_the_proposal_form_takes_the_proposals_date(clock, client, users, cadre_a, leader_reason):
    clock.set("2026-03-20")
    client.force_login(users[Role.STAFF])
    new = reverse("supervision:interview_new") + "?kind=yuetan"
    assert 'name="proposed_on" value="2026-03-20"' in client.get(new).content.decode()
    client.post(
        reverse("supervision:interview_new"),
        {
            "kind": "yuetan",
            "subject_type": "cadre",
            "cadre_query": "张三",
            "reasons": [leader_reason.pk],
            "proposed_on": "2026-03-02",
        },
    )
    interview = Interview.objects.get()
    assert interview.proposed_on == D("2026-03-02")
    page = client.get(reverse("supervision:interview_detail", args=[interview.pk])).content.decode()
    assert "2026-03-02" in page


# ---------------------------------------------------------------- existing records


def test_existing_interviews_get_their_step_dates_from_when_the_steps_were_recorded(clock, steps, cadre_a):
    """Migration 0004: the proposal and approval days come from their timestamps (Beijing time),
    moved back to the notice's date where the notice was dated earlier."""
    clock.set("2026-03-20")
    plain = steps.propose(cadre_a, None)
    noticed = steps.notice(steps.approve(steps.propose(cadre_a, None), None), None)
    at = datetime.datetime(2026, 3, 1, 17, 30, tzinfo=datetime.UTC)  # 2026-03-02 01:30 in Beijing
    Interview.objects.filter(pk=plain.pk).update(proposed_at=at, proposed_on=None, approved_on=None)
    Interview.objects.filter(pk=noticed.pk).update(
        proposed_at=at, approved_at=at + datetime.timedelta(days=5), notice_sent_on=D("2026-03-04")
    )
    Interview.objects.update(proposed_on=None, approved_on=None)
    migration = importlib.import_module("supervision.migrations.0004_interview_step_dates")
    migration.fill_step_dates(django_apps, None)
    plain, noticed = Interview.objects.get(pk=plain.pk), Interview.objects.get(pk=noticed.pk)
    assert (plain.proposed_on, plain.approved_on) == (D("2026-03-02"), None)
    assert (noticed.proposed_on, noticed.approved_on) == (D("2026-03-02"), D("2026-03-04"))
