import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.roles import Role
from core.jobs import job_create, job_run
from core.models import Job, JobState


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_runs_in_process_when_no_broker_is_configured(users):
    # the embedded default: CELERY_TASK_ALWAYS_EAGER, the task runs once the transaction commits
    job = job_create(kind="worker_check", actor=users[Role.STAFF], params={"message": "hi"})
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.result["message"] == "hi"
    assert (job.done, job.total) == (1, 1)


def test_a_job_is_claimed_once(users):
    job = Job.objects.create(kind="worker_check")
    assert job_run(str(job.pk)) is True
    assert job_run(str(job.pk)) is False  # a second delivery of the same message does nothing
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_job_state_and_progress_are_readable_by_its_creator(users):
    job = Job.objects.create(kind="worker_check", created_by=users[Role.STAFF], done=3, total=10)
    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    body = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert (body["state"], body["done"], body["total"]) == ("pending", 3, 10)


def test_a_job_of_another_county_answers_404(users, tree):
    job = Job.objects.create(kind="worker_check", scope_path=tree["county_b"].path)
    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_a_job_in_the_users_subtree_is_visible(users, tree):
    job = Job.objects.create(kind="worker_check", scope_path=tree["town_a"].path)
    client = APIClient()
    client.force_authenticate(users[Role.AUDITOR])
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 200


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_an_unknown_job_kind_is_refused(db):
    with pytest.raises(ValueError):
        job_create(kind="no_such_kind")
