"""Scope in the API (/api/v1/, with a token), at its edges: an object outside the caller's
subtree answers 404 with the standard error body, the very body a nonexistent id gets; a write
referring to a unit or cadre outside is refused with the message a nonexistent id gets, and
writes nothing; lists filtered by an outside unit or cadre are empty; no answer names anything
outside."""

import json
import uuid

import pytest

from assessment.models import Assessment, ImportBatch
from audit.models import AuditEntry
from cadres.models import Cadre, TeamMembership, Unit
from core.models import Job
from supervision.models import Attachment, Interview
from tests.scope.conftest import (
    MISSING_ID,
    NO_UNIT_USERS,
    OUT_OF_COUNTY,
    OUT_OF_TOWNSHIP,
    TOWNSHIP_SCOPE,
    UNITS,
    png_upload,
    token_client,
)

MISSING_UUID = uuid.UUID(int=1)


def pk(mapping, key):
    return MISSING_ID if key is None else mapping[key].pk


def upk(mapping, key):
    return MISSING_UUID if key is None else mapping[key].pk


# Who asks, and which units are outside for them.
CALLERS = {
    "town_staff": OUT_OF_TOWNSHIP,
    "town_api_reader": OUT_OF_TOWNSHIP,
    "town_county_admin": OUT_OF_TOWNSHIP,
    "county_staff": OUT_OF_COUNTY,
    "county_auditor": OUT_OF_COUNTY,
    "nounit_staff": sorted(UNITS),
    "nounit_api_reader": sorted(UNITS),
}

GETS = {
    "unit": lambda w, k: f"/api/v1/units/{pk(w.units, k)}/",
    "cadre": lambda w, k: f"/api/v1/cadres/{pk(w.cadres, k)}/",
    "interview": lambda w, k: f"/api/v1/interviews/{pk(w.interviews, k)}/",
    "assessment": lambda w, k: f"/api/v1/assessments/{pk(w.assessments, k)}/",
    "import": lambda w, k: f"/api/v1/imports/{upk(w.batches, k)}/",
    "job": lambda w, k: f"/api/v1/jobs/{upk(w.jobs, k)}/",
    "template": lambda w, k: f"/api/v1/periods/{w.period.pk}/template.xlsx?unit={pk(w.units, k)}",
    "grade_report": lambda w, k: f"/api/v1/grade-reports/?period={w.period.pk}&unit={pk(w.units, k)}",
    "grade_report_xlsx": lambda w, k: (
        f"/api/v1/grade-reports/?period={w.period.pk}&unit={pk(w.units, k)}&format=xlsx"
    ),
}


def _body(response, *ids) -> str:
    text = response.content.decode()
    for value in ids:
        text = text.replace(str(value), "ID")
    return text


def _named(world, text: str, keys) -> list[str]:
    return [n for n in world.names_outside(keys) if n in text]


def _assert_error_shape(response):
    # parsed from the bytes: an error of template.xlsx is JSON sent under the xlsx content type
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"] and not body["error"]["message"].isascii(), body


@pytest.mark.parametrize("endpoint", sorted(GETS))
def test_an_object_outside_answers_404_exactly_as_a_missing_one(world, endpoint):
    for username, outside in CALLERS.items():
        client = token_client(world.users[username])
        missing = client.get(GETS[endpoint](world, None))
        assert missing.status_code in (403, 404), (username, missing.status_code)
        _assert_error_shape(missing)
        for key in outside:
            response = client.get(GETS[endpoint](world, key))
            assert response.status_code == missing.status_code, (username, key, response.status_code)
            assert _body(response, MISSING_ID, MISSING_UUID) == _body(missing, MISSING_ID, MISSING_UUID)
            assert _named(world, response.content.decode(), outside) == []


def test_an_object_in_scope_answers_200_for_the_township(world):
    """The control of the test above: the same endpoints find the township's own objects."""
    client = token_client(world.users["town_staff"])
    for endpoint, url in GETS.items():
        response = client.get(url(world, "town_a1"))
        assert response.status_code == 200, (endpoint, response.status_code)


# Lists, each filtered by a unit, a cadre or a code outside: empty, and nothing outside named.
LISTS = {
    "cadres_by_unit": lambda w, k: f"/api/v1/cadres/?unit={w.units[k].pk}",
    "cadres_by_id_number": lambda w, k: f"/api/v1/cadres/?id_number={w.cadres[k].id_number}",
    "cadres_by_name": lambda w, k: f"/api/v1/cadres/?name={w.cadres[k].name}",
    "units_by_parent": lambda w, k: f"/api/v1/units/?parent={w.units[k].pk}",
    "units_by_code": lambda w, k: f"/api/v1/units/?code={w.units[k].code}",
    "interviews_by_unit": lambda w, k: f"/api/v1/interviews/?unit={w.units[k].pk}",
    "interviews_by_cadre": lambda w, k: f"/api/v1/interviews/?cadre={w.cadres[k].pk}",
    "assessments_by_unit": lambda w, k: f"/api/v1/assessments/?unit={w.units[k].pk}",
    "assessments_by_cadre": lambda w, k: f"/api/v1/assessments/?cadre={w.cadres[k].pk}",
    "imports_by_period": lambda w, k: f"/api/v1/imports/?period={w.period.pk}",
    "reminders": lambda w, k: "/api/v1/reminders/",
    "grade_report_all": lambda w, k: f"/api/v1/grade-reports/?period={w.period.pk}",
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_filtered_by_something_outside_is_empty_and_names_nothing(world, name):
    for username, outside in CALLERS.items():
        client = token_client(world.users[username])
        for key in outside:
            response = client.get(LISTS[name](world, key))
            if name == "cadres_by_id_number" and not world.users[username].can("view_id_number"):
                # an exact match would confirm a guessed number: refused whatever the scope
                assert response.status_code == 403, (username, key, response.status_code)
                continue
            assert response.status_code == 200, (username, key, response.status_code)
            body = response.json()
            if name not in ("imports_by_period", "reminders", "grade_report_all"):
                assert body["count"] == 0, (username, key)
            assert _named(world, response.content.decode(), outside) == [], (username, key)


def test_the_unfiltered_lists_give_the_township_exactly_its_own(world):
    client = token_client(world.users["town_staff"])
    expected_units = {world.units[k].pk for k in TOWNSHIP_SCOPE}
    assert {u["id"] for u in client.get("/api/v1/units/").json()["results"]} == expected_units
    cadres = client.get("/api/v1/cadres/").json()["results"]
    assert {c["unit"] for c in cadres} == expected_units
    for url in (
        "/api/v1/interviews/",
        "/api/v1/assessments/",
        f"/api/v1/grade-reports/?period={world.period.pk}",
    ):
        rows = client.get(url).json()["results"]
        assert {r["unit"] for r in rows} == expected_units, url
    assert {b["id"] for b in client.get("/api/v1/imports/").json()["results"]} == {
        str(world.batches[k].pk) for k in TOWNSHIP_SCOPE
    }


@pytest.mark.parametrize("username", NO_UNIT_USERS)
def test_a_user_without_a_unit_gets_empty_lists(world, username):
    client = token_client(world.users[username])
    for url in (
        "/api/v1/units/",
        "/api/v1/cadres/",
        "/api/v1/interviews/",
        "/api/v1/assessments/",
        "/api/v1/imports/",
        "/api/v1/reminders/",
        f"/api/v1/grade-reports/?period={world.period.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.json()["count"] == 0, url


# ---------------------------------------------------------------- writes


def _state():
    return {
        "units": sorted(Unit.objects.values_list("pk", "name", "code")),
        "cadres": sorted(Cadre.objects.values_list("pk", "unit_id", "name", "post_title")),
        "members": TeamMembership.objects.count(),
        "interviews": sorted(Interview.objects.values_list("pk", "status", "record")),
        "attachments": Attachment.objects.count(),
        "assessments": sorted((a, str(s)) for a, s in Assessment.objects.values_list("pk", "scores")),
        "batches": ImportBatch.objects.count(),
        "jobs": Job.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def _cadre_payload(world, unit_pk):
    c = world.cadres["town_a1"]
    return {
        "unit": unit_pk,
        "name": "新登记",
        "id_number": "430121198005170000",
        "work_start_date": "2002-07-01",
        "identity": c.identity,
        "kind": c.kind,
        "rank": c.rank,
        "post_title": "科员",
    }


# name -> (method, URL, payload) referring to unit/cadre ``target`` (an id), from ``me`` (the
# caller's own unit key)
REFERS = {
    "unit_under": lambda w, me, t: (
        "post",
        "/api/v1/units/",
        {"parent": t, "code": "NEWX", "name": "新办", "kind": "部门"},
    ),
    "cadre_in": lambda w, me, t: ("post", "/api/v1/cadres/", _cadre_payload(w, t)),
    "cadre_move_to": lambda w, me, t: ("patch", f"/api/v1/cadres/{w.cadres[me].pk}/", {"unit": t}),
    "talk_about_cadre": lambda w, me, t: (
        "post",
        "/api/v1/interviews/",
        {
            "kind": "谈心谈话",
            "subject_type": "cadre",
            "cadre": t,
            "conducted_on": "2025-03-01",
            "record": "谈话",
        },
    ),
    "talk_about_team": lambda w, me, t: (
        "post",
        "/api/v1/interviews/",
        {
            "kind": "谈心谈话",
            "subject_type": "team",
            "unit": t,
            "conducted_on": "2025-03-01",
            "record": "谈话",
        },
    ),
    "scores_of_cadre": lambda w, me, t: (
        "post",
        "/api/v1/assessments/",
        {"period": w.period.pk, "cadre": t, "scores": {"德": 90}},
    ),
    "recompute_unit": lambda w, me, t: ("post", f"/api/v1/periods/{w.period.pk}/recompute/", {"unit": t}),
    "template_of_unit": lambda w, me, t: (
        "get",
        f"/api/v1/periods/{w.period.pk}/template.xlsx?unit={t}",
        None,
    ),
}
REFERS_CADRE = {"talk_about_cadre", "scores_of_cadre"}

SCOPED_WRITERS = [
    ("town_staff", "town_a1", OUT_OF_TOWNSHIP),
    ("town_head", "town_a1", OUT_OF_TOWNSHIP),
    ("town_county_admin", "town_a1", OUT_OF_TOWNSHIP),
    ("county_staff", "county_a", OUT_OF_COUNTY),
]


def _send(client, method, url, payload):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, json.dumps(payload), content_type="application/json")


@pytest.mark.parametrize("write", sorted(REFERS))
def test_a_write_referring_to_an_id_outside_gets_the_answer_of_a_missing_id(world, write):
    before = _state()
    cases = [*SCOPED_WRITERS, *((u, None, sorted(UNITS)) for u in ("nounit_staff", "nounit_head"))]
    for username, me, outside in cases:
        client = token_client(world.users[username])
        # a user without a unit has no cadre of their own to move: take one they cannot see
        own = me or "town_a1"
        missing = _send(client, *REFERS[write](world, own, MISSING_ID))
        assert missing.status_code in (400, 403, 404), (username, missing.status_code)
        _assert_error_shape(missing)
        for key in outside:
            target = (world.cadres if write in REFERS_CADRE else world.units)[key].pk
            response = _send(client, *REFERS[write](world, own, target))
            assert response.status_code == missing.status_code, (username, key, response.status_code)
            assert _body(response, target) == _body(missing, MISSING_ID), (username, key)
            assert _state() == before, (username, key)


# name -> (method, URL, payload) acting on the object of unit ``k`` itself
ON_OBJECT = {
    "cadre_patch": lambda w, k: ("patch", f"/api/v1/cadres/{pk(w.cadres, k)}/", {"post_title": "改任"}),
    "interview_patch": lambda w, k: (
        "patch",
        f"/api/v1/interviews/{pk(w.interviews, k)}/",
        {"record": "改写"},
    ),
    "interview_step": lambda w, k: (
        "patch",
        f"/api/v1/interviews/{pk(w.interviews, k)}/",
        {"status": "已预告", "notice_sent_on": "2025-03-01"},
    ),
    "assessment_patch": lambda w, k: (
        "patch",
        f"/api/v1/assessments/{pk(w.assessments, k)}/",
        {"scores": {"德": 90}},
    ),
    "assessment_override": lambda w, k: (
        "patch",
        f"/api/v1/assessments/{pk(w.assessments, k)}/",
        {"final_grade": "基本称职", "override_reason": "调整"},
    ),
}


@pytest.mark.parametrize("write", sorted(ON_OBJECT))
def test_a_write_on_an_object_outside_answers_404_as_a_missing_one(world, write):
    before = _state()
    writers = [(u, o) for u, _, o in SCOPED_WRITERS] + [("nounit_staff", sorted(UNITS))]
    for username, outside in writers:
        client = token_client(world.users[username])
        missing = _send(client, *ON_OBJECT[write](world, None))
        assert missing.status_code in (403, 404), (username, missing.status_code)
        _assert_error_shape(missing)
        for key in outside:
            response = _send(client, *ON_OBJECT[write](world, key))
            assert response.status_code == missing.status_code, (username, key, response.status_code)
            assert _body(response) == _body(missing), (username, key)
            assert _state() == before, (username, key)


def test_an_attachment_to_an_interview_outside_answers_404_as_a_missing_one(world):
    before = _state()
    client = token_client(world.users["town_staff"])
    missing = client.post(f"/api/v1/interviews/{MISSING_ID}/attachments/", {"file": png_upload()})
    assert missing.status_code == 404
    for key in OUT_OF_TOWNSHIP:
        response = client.post(
            f"/api/v1/interviews/{world.interviews[key].pk}/attachments/", {"file": png_upload()}
        )
        assert response.status_code == 404, key
        assert response.json() == missing.json()
    assert _state() == before


@pytest.mark.parametrize(
    ("username", "me", "outside"), [w for w in SCOPED_WRITERS if w[0] != "town_county_admin"]
)
def test_an_import_into_a_unit_outside_gets_the_answer_of_a_missing_unit(world, username, me, outside):
    """Only the view's unit lookup: what the sheet's rows say is the import's own business."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = _state()
    client = token_client(world.users[username])

    def upload(unit_pk):
        sheet = SimpleUploadedFile("评分表.csv", "姓名,身份证号\n".encode(), content_type="text/csv")
        return client.post("/api/v1/imports/", {"file": sheet, "period": world.period.pk, "unit": unit_pk})

    missing = upload(MISSING_ID)
    assert missing.status_code == 400
    for key in outside:
        response = upload(world.units[key].pk)
        assert response.status_code == 400, key
        assert _body(response, world.units[key].pk) == _body(missing, MISSING_ID), key
    assert _state() == before


def test_the_api_recompute_of_a_county_covers_only_the_county(world):
    Job.objects.all().delete()
    response = token_client(world.users["county_staff"]).post(f"/api/v1/periods/{world.period.pk}/recompute/")
    assert response.status_code == 202
    assert list(Job.objects.values_list("scope_path", flat=True)) == [world.units["county_a"].path]
