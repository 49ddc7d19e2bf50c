from django.core.management import call_command

from supervision.models import Interview, InterviewStatus, Reminder


def test_demo_data_has_an_interview_in_every_workflow_state_and_reminders(db):
    call_command("seed_demo", cadres=300, verbosity=0, stdout=None)
    statuses = set(Interview.objects.values_list("status", flat=True))
    assert statuses == set(InterviewStatus.values)
    assert Reminder.objects.filter(kind="overdue").exists()
    assert Reminder.objects.filter(kind="due_soon").exists()
    before = Interview.objects.count()
    call_command("seed_demo", cadres=300, verbosity=0)
    assert Interview.objects.count() == before


def test_demo_interviews_have_their_step_dates_in_workflow_order(db):
    call_command("seed_demo", cadres=300, verbosity=0, stdout=None)
    steps = [
        "proposed_on",
        "approved_on",
        "notice_sent_on",
        "conducted_on",
        "main_leader_informed_on",
        "team_meeting_on",
        "report_received_on",
        "reviewed_on",
    ]
    rows = Interview.objects.filter(kind="yuetan").values_list(*steps)
    assert rows
    for row in rows:
        assert row[0] is not None  # every 约谈 has its proposal's date
        dates = [d for d in row if d is not None]
        assert dates == sorted(dates), dict(zip(steps, row, strict=True))
