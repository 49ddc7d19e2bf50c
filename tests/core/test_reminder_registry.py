"""The daily reminder job (core.scan_reminders): every scan the apps register runs for the same
day; one that fails is reported and does not stop the others."""

import datetime

import pytest

from accounts.roles import Role
from core import registry
from core.tasks import scan_reminders
from supervision.models import Interview, InterviewReason, Reminder, ReminderKind
from supervision.services import interviews as svc


@pytest.fixture
def scans():
    with registry.restored():
        yield


def _overdue_report(users, cadre) -> None:
    """A 约谈 held on 2026-02-08 whose rectification report (due 2026-03-08) has not come in."""
    staff, head = users[Role.STAFF], users[Role.HEAD]
    reason = InterviewReason.objects.filter(audience="leader").first()
    interview = svc.yuetan_propose(
        actor=staff,
        subject_type="cadre",
        cadre=cadre,
        reasons=[reason],
        proposed_on=datetime.date(2026, 1, 29),
    )
    svc.yuetan_approve(actor=head, interview=interview, approved_on=datetime.date(2026, 2, 2))
    svc.yuetan_send_notice(actor=staff, interview=interview, notice_sent_on=datetime.date(2026, 2, 5))
    svc.yuetan_conduct(
        actor=staff,
        interview=interview,
        conducted_on=datetime.date(2026, 2, 8),
        interviewers="李部长",
        record="约谈",
    )


def test_the_apps_register_their_scans():
    keys = [scan.key for scan in registry.reminder_scans()]
    assert "supervision.interviews" in keys
    assert "workorders.orders" in keys


def test_every_scan_runs_with_the_same_day_and_the_job_returns_each_summary(db, scans, clock):
    clock.set("2026-03-20")
    seen = []
    for key in ("b.second", "a.first"):
        registry.reminder_scan(
            key, label=key, scan=lambda *, today=None, key=key: seen.append((key, today)) or {"created": 1}
        )
    result = scan_reminders.delay().get()
    assert result["a.first"] == {"created": 1} and result["b.second"] == {"created": 1}
    day = datetime.date(2026, 3, 20)
    assert ("a.first", day) in seen and ("b.second", day) in seen
    assert seen.index(("a.first", day)) < seen.index(("b.second", day))  # in key order


def test_the_job_can_rerun_a_given_day(db, scans):
    seen = []
    registry.reminder_scan("a.only", label="a", scan=lambda *, today=None: seen.append(today) or {})
    scan_reminders.delay("2026-01-31").get()
    assert seen == [datetime.date(2026, 1, 31)]


def test_a_failing_scan_is_reported_and_the_others_still_run_and_keep_their_writes(
    scans, clock, users, cadre_a
):
    clock.set("2026-03-20")
    _overdue_report(users, cadre_a)
    Reminder.objects.create(
        interview=Interview.objects.get(),
        kind=ReminderKind.DUE_SOON,
        due_date=datetime.date(2026, 3, 8),
        responsible=users[Role.STAFF],
    )

    def broken(*, today=None):
        Reminder.objects.all().delete()  # a write the failure must roll back
        raise RuntimeError("数据库连接中断")

    registry.reminder_scan("aaa.broken", label="坏的扫描", scan=broken)
    result = scan_reminders.delay().get()
    assert result["aaa.broken"] == {"error": "RuntimeError: 数据库连接中断", "label": "坏的扫描"}
    # the scan after the broken one ran, and wrote
    assert result["supervision.interviews"]["created"] == 1
    assert Reminder.objects.filter(kind=ReminderKind.OVERDUE).count() == 1
    assert Reminder.objects.filter(kind=ReminderKind.DUE_SOON).exists()  # the broken scan's delete undone


def test_the_failure_is_logged(db, scans, caplog):
    registry.reminder_scan("x.broken", label="坏的扫描", scan=lambda *, today=None: 1 / 0)
    scan_reminders.delay().get()
    assert any("x.broken" in r.getMessage() and r.exc_info for r in caplog.records)


def test_registering_a_key_again_replaces_it(scans):
    registry.reminder_scan("x.one", label="一", scan=lambda *, today=None: {"v": 1})
    registry.reminder_scan("x.one", label="二", scan=lambda *, today=None: {"v": 2})
    assert [s.label for s in registry.reminder_scans() if s.key == "x.one"] == ["二"]


def test_restored_undoes_a_registered_scan():
    with registry.restored():
        registry.reminder_scan("x.temp", label="临时", scan=lambda *, today=None: {})
    assert "x.temp" not in [s.key for s in registry.reminder_scans()]
