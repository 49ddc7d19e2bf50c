"""A talk's 容错纠错: decided only by a head's decision (``supervision.services.exemptions``,
tested in tests/incentives/test_exemptions*.py), never by a field of the talk. The talk's pages
and its API show the decision; a 可容 约谈 is not counted for the grade caps."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from supervision.models import Interview, MatterType
from supervision.selectors.interviews import yuetan_counts, yuetan_tolerated
from supervision.services.interviews import interview_update
from tests.factories import make_exemption

from .conftest import TODAY


@pytest.fixture
def conducted(walk, cadre_a, leader_reason):
    return walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason))


def test_a_talk_is_no_longer_exempted_through_its_own_fields(users, conducted):
    with pytest.raises(ValidationError) as caught:
        interview_update(actor=users[Role.STAFF], interview=conducted, exempted=True, exemption_note="可容")
    assert set(caught.value.message_dict) == {"exempted", "exemption_note"}


def test_a_tolerated_yuetan_is_not_counted_for_the_grade_caps_and_is_named_instead(users, conducted, cadre_a):
    assert yuetan_counts(year=TODAY.year)["cadres"] == {cadre_a.pk: [conducted.conducted_on]}
    decision = make_exemption(users[Role.HEAD], MatterType.INTERVIEW, conducted)
    assert yuetan_counts(year=TODAY.year)["cadres"] == {}
    ((day, cited),) = yuetan_tolerated(year=TODAY.year)["cadres"][cadre_a.pk]
    assert day == conducted.conducted_on
    assert cited.startswith("经容错纠错认定为可容（") and f"认定编号 {decision.pk}）" in cited


def test_an_intolerable_decision_leaves_the_yuetan_counted(users, conducted, cadre_a):
    make_exemption(users[Role.HEAD], MatterType.INTERVIEW, conducted, verdict="intolerable")
    assert yuetan_counts(year=TODAY.year)["cadres"] == {cadre_a.pk: [conducted.conducted_on]}
    assert yuetan_tolerated(year=TODAY.year) == {"cadres": {}, "teams": {}}


def test_the_edit_page_offers_no_exemption(client, users, conducted):
    client.force_login(users[Role.STAFF])
    page = client.get(reverse("supervision:interview_edit", args=[conducted.pk])).content.decode()
    assert "容错" not in page


def test_the_detail_page_shows_the_decision_or_offers_a_head_to_decide(client, users, conducted):
    url = reverse("supervision:interview_detail", args=[conducted.pk])
    decide = reverse("incentives:exemption_decide", args=["interview", conducted.pk])
    client.force_login(users[Role.STAFF])
    assert decide not in client.get(url).content.decode()
    client.force_login(users[Role.HEAD])
    assert decide in client.get(url).content.decode()
    decision = make_exemption(users[Role.HEAD], MatterType.INTERVIEW, conducted)
    page = client.get(url).content.decode()
    assert reverse("incentives:exemption_detail", args=[decision.pk]) in page
    assert "经认定为可容：不限制考核等次" in page and decide not in page


def test_the_api_shows_the_decision_read_only_and_refuses_to_exempt(users, conducted):
    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    url = f"/api/v1/interviews/{conducted.pk}/"
    body = client.get(url).json()
    assert (body["exempted"], body["exemption"]) == (False, None)
    refused = client.patch(url, {"exempted": True, "exemption_note": "可容"}, format="json")
    assert refused.status_code == 400
    assert "exemptions/" in refused.json()["error"]["fields"]["exempted"][0]
    decision = make_exemption(users[Role.HEAD], MatterType.INTERVIEW, conducted)
    body = client.get(url).json()
    assert (body["exempted"], body["exemption"]) == (True, decision.pk)


def test_a_new_talk_cannot_be_exempted_when_it_is_recorded(users, cadre_a):
    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    response = client.post(
        "/api/v1/interviews/",
        {
            "kind": "诫勉",
            "subject_type": "cadre",
            "cadre": cadre_a.pk,
            "conducted_on": "2026-06-01",
            "record": "诫勉谈话",
            "exempted": True,
        },
        format="json",
    )
    assert response.status_code == 400
    assert not Interview.objects.exists()
