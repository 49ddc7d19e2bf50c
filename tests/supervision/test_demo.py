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
