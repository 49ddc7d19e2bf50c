"""容错免责 of a talk: marked with its basis on the edit page or through the API, audited; an
exempted 约谈 no longer caps the grade."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import Assessment
from assessment.services.recompute import period_recompute
from audit.models import AuditEntry
from supervision.models import Interview
from supervision.selectors.interviews import yuetan_counts
from supervision.services.interviews import interview_update
from tests.factories import CadreFactory, make_period

from .conftest import TODAY

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
BASIS = "属于推进改革中的探索性失误，经集体研究认定容错"


@pytest.fixture
def conducted(walk, cadre_a, leader_reason):
    return walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason))


def test_exempting_a_talk_needs_its_basis(users, conducted):
    with pytest.raises(ValidationError) as caught:
        interview_update(actor=users[Role.STAFF], interview=conducted, exempted=True)
    assert caught.value.message_dict == {"exemption_note": ["请写明认定（或撤销）容错免责的依据。"]}
    assert not Interview.objects.get(pk=conducted.pk).exempted


def test_an_exemption_is_saved_and_audited(users, conducted):
    interview_update(actor=users[Role.STAFF], interview=conducted, exempted=True, exemption_note=BASIS)
    saved = Interview.objects.get(pk=conducted.pk)
    assert (saved.exempted, saved.exemption_note) == (True, BASIS)
    entry = AuditEntry.objects.filter(model="supervision.interview", object_id=str(conducted.pk)).latest("id")
    assert entry.changes["exempted"] == [False, True]


def test_an_exempted_yuetan_is_not_counted_for_the_grade_caps(users, conducted, cadre_a):
    assert yuetan_counts(year=TODAY.year)["cadres"] == {cadre_a.pk: [conducted.conducted_on]}
    interview_update(actor=users[Role.STAFF], interview=conducted, exempted=True, exemption_note=BASIS)
    assert yuetan_counts(year=TODAY.year)["cadres"] == {}


def test_an_exemption_lifts_the_cap_the_yuetan_caused(tree, users, walk, leader_reason):
    period = make_period(year=TODAY.year)
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(5)]
    for n, cadre in enumerate(cadres):
        Assessment.objects.create(
            period=period, cadre=cadre, unit=cadre.unit, scores=dict.fromkeys(CODES, 95 - n)
        )
    top = cadres[0]
    talk = walk["to_conducted"](walk["propose_cadre"](top, leader_reason))
    period_recompute(period_id=period.pk)
    assert Assessment.objects.get(period=period, cadre=top).final_grade == "称职"
    interview_update(actor=users[Role.STAFF], interview=talk, exempted=True, exemption_note=BASIS)
    period_recompute(period_id=period.pk)
    assert Assessment.objects.get(period=period, cadre=top).final_grade == "优秀"


def test_the_edit_page_marks_a_talk_exempted(client, users, conducted):
    client.force_login(users[Role.STAFF])
    url = reverse("supervision:interview_edit", args=[conducted.pk])
    page = client.get(url).content.decode()
    assert "所涉事项认定为容错免责" in page
    response = client.post(url, {"exempted": "on", "exemption_note": ""})
    assert "请写明认定（或撤销）容错免责的依据。" in response.content.decode()
    client.post(url, {"exempted": "on", "exemption_note": BASIS})
    assert Interview.objects.get(pk=conducted.pk).exempted
    detail = client.get(reverse("supervision:interview_detail", args=[conducted.pk])).content.decode()
    assert "容错免责" in detail and BASIS in detail


def test_a_talk_not_yet_held_offers_no_exemption(client, users, walk, cadre_a, leader_reason):
    proposed = walk["propose_cadre"](cadre_a, leader_reason)
    client.force_login(users[Role.STAFF])
    page = client.get(reverse("supervision:interview_edit", args=[proposed.pk])).content.decode()
    assert "容错免责" not in page


def test_the_api_marks_a_talk_exempted(users, conducted):
    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    url = f"/api/v1/interviews/{conducted.pk}/"
    refused = client.patch(url, {"exempted": True}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["exemption_note"] == ["请写明认定（或撤销）容错免责的依据。"]
    body = client.patch(url, {"exempted": True, "exemption_note": BASIS}, format="json").json()
    assert (body["exempted"], body["exemption_note"]) == (True, BASIS)


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
