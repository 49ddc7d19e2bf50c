"""With the broker unreachable, a saved write answers as saved, says that background work is
delayed, and the recomputation it queued is not reused until it can really run."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import Assessment
from assessment.services.recompute import JOB_KIND, recompute_queue
from core.jobs import DELAYED_MESSAGE, jobs_sweep
from core.middleware import DELAYED_HEADER
from core.models import Job, JobState

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_grid_save_with_the_broker_down_is_saved_and_says_grading_is_delayed(
    client, users, tree, annual_period, cadre_a, broker_down
):
    client.force_login(users[Role.COUNTY_ADMIN])
    url = reverse("assessment:grid", args=[annual_period.pk, tree["town_a"].pk])
    response = client.post(url, {f"s-{cadre_a.pk}-{i}": "90" for i in range(6)})
    assert response.status_code == 302
    assert response[DELAYED_HEADER] == "delayed"
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores["德"] == 90
    page = client.get(response["Location"]).content.decode()
    assert "评分已保存" in page and DELAYED_MESSAGE in page
    job = Job.objects.get(kind=JOB_KIND)
    assert job.state == JobState.PENDING and job.delayed


def test_the_recompute_api_with_the_broker_down_answers_202_saying_it_is_delayed(
    users, annual_period, broker_down
):
    api = APIClient()
    api.force_authenticate(users[Role.STAFF])
    response = api.post(f"/api/v1/periods/{annual_period.pk}/recompute/")
    assert response.status_code == 202
    body = response.json()
    assert body["delayed"] is True and body["message"] == DELAYED_MESSAGE
    assert api.get(body["url"]).json()["delayed"] is True


def test_a_recomputation_refused_by_the_broker_is_not_reused_and_is_delivered_later(
    users, annual_period, broker_down, request
):
    orphan = recompute_queue(period=annual_period, actor=users[Role.STAFF])
    orphan.refresh_from_db()
    assert orphan.delayed
    # a later change queues a job of its own instead of attaching to the undelivered one
    again = recompute_queue(period=annual_period, actor=users[Role.STAFF])
    assert again.pk != orphan.pk
    # the broker is back: the sweep delivers both (each runs, the claim keeps it to once)
    sent = request.getfixturevalue("sent_messages")
    jobs_sweep()
    assert {str(orphan.pk), str(again.pk)} <= set(sent)
    orphan.refresh_from_db()
    assert not orphan.delayed and orphan.queued_at is not None


def test_with_the_broker_up_a_waiting_recomputation_is_reused(users, annual_period, sent_messages):
    first = recompute_queue(period=annual_period, actor=users[Role.STAFF])
    second = recompute_queue(period=annual_period, actor=users[Role.STAFF])
    assert first.pk == second.pk and sent_messages == [str(first.pk)]
