"""``interviews/`` and ``reminders/`` walked through the API, including refused steps."""

import io
import threading

import pytest
from django.db import connection
from PIL import Image
from rest_framework.test import APIClient

from accounts.roles import Role
from supervision.models import Attachment, Interview, Reminder
from supervision.services import interviews as svc
from tests.supervision.conftest import days_ago


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_whole_workflow_through_the_api(users, cadre_a, leader_reason):
    staff, head = api(users[Role.STAFF]), api(users[Role.HEAD])
    r = staff.post(
        "/api/v1/interviews/",
        {
            "kind": "约谈",
            "subject_type": "cadre",
            "cadre": cadre_a.pk,
            "reasons": [leader_reason.pk],
            "reason_detail": "推进不力",
            "proposed_on": str(days_ago(50)),
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    url = f"/api/v1/interviews/{r.json()['id']}/"
    assert r.json()["status_code"] == "proposed"
    assert r.json()["proposed_on"] == str(days_ago(50))

    # staff may not approve; a head may
    assert staff.patch(url, {"status": "approved"}, format="json").status_code == 403
    assert (
        head.patch(
            url,
            {"status": "approved", "approval_note": "同意", "approved_on": str(days_ago(46))},
            format="json",
        ).json()["status_code"]
        == "approved"
    )

    # out of order: conducting before the notice is a 409 with the reason
    refused = staff.patch(
        url,
        {"status": "conducted", "conducted_on": str(days_ago(1)), "interviewers": "x", "record": "y"},
        format="json",
    )
    assert refused.status_code == 409
    assert "约谈预告" in refused.json()["error"]["message"]

    assert (
        staff.patch(
            url, {"status": "notified", "notice_sent_on": str(days_ago(45))}, format="json"
        ).status_code
        == 200
    )
    body = staff.patch(
        url,
        {
            "status": "conducted",
            "conducted_on": str(days_ago(40)),
            "interviewers": "王部长",
            "record": "约谈记录",
            "location": "约谈室",
        },
        format="json",
    ).json()
    assert body["status_code"] == "conducted"
    assert body["report_due"] is not None
    assert body["report_overdue"] is True

    assert staff.patch(url, {"main_leader_informed_on": str(days_ago(39))}, format="json").status_code == 200
    r = staff.patch(
        url,
        {"status": "report_received", "report_received_on": str(days_ago(1)), "report_summary": "整改报告"},
        format="json",
    )
    assert r.json()["status_code"] == "report_received", r.json()
    r = head.patch(url, {"status": "improved", "review_note": "整改到位"}, format="json")
    assert r.json()["status"] == "已评估：整改到位"
    assert r.json()["reviewed_on"] == str(days_ago(0))  # no date given: today


def test_a_recorded_talk_is_created_in_one_step(users, cadre_a):
    r = api(users[Role.STAFF]).post(
        "/api/v1/interviews/",
        {
            "kind": "谈心谈话",
            "subject_type": "cadre",
            "cadre": cadre_a.pk,
            "conducted_on": str(days_ago(3)),
            "record": "谈心",
            "interviewers": "组织委员",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["status_code"] == "recorded"


def test_a_bad_request_changes_nothing_and_explains(users, cadre_a):
    r = api(users[Role.STAFF]).post(
        "/api/v1/interviews/",
        {"kind": "函询", "subject_type": "cadre", "cadre": cadre_a.pk, "record": ""},
        format="json",
    )
    assert r.status_code == 400
    assert r.json()["error"]["fields"]
    assert not Interview.objects.exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR])
def test_every_role_reads_in_scope_and_gets_404_outside(role, users, cadre_a, cadre_b):
    mine = svc.interview_record(
        actor=users["city_staff"],
        kind="talk",
        subject_type="cadre",
        cadre=cadre_a,
        conducted_on=days_ago(1),
        record="x",
    )
    other = svc.interview_record(
        actor=users["city_staff"],
        kind="talk",
        subject_type="cadre",
        cadre=cadre_b,
        conducted_on=days_ago(1),
        record="x",
    )
    client = api(users[role])
    assert client.get(f"/api/v1/interviews/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/interviews/{other.pk}/").status_code == 404
    assert [i["id"] for i in client.get("/api/v1/interviews/").json()["results"]] == [mine.pk]


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR])
def test_read_only_roles_cannot_create(role, users, cadre_a):
    r = api(users[role]).post(
        "/api/v1/interviews/",
        {
            "kind": "谈心谈话",
            "subject_type": "cadre",
            "cadre": cadre_a.pk,
            "conducted_on": str(days_ago(1)),
            "record": "x",
        },
        format="json",
    )
    assert r.status_code == 403


def test_list_filters_overdue_reports(walk, users, cadre_a, leader_reason):
    overdue = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=45)
    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=3)
    ids = [i["id"] for i in api(users[Role.STAFF]).get("/api/v1/interviews/?overdue=1").json()["results"]]
    assert ids == [overdue.pk]


def test_interview_list_query_count_is_constant(
    walk, users, cadre_a, leader_reason, django_assert_num_queries
):
    client = api(users[Role.STAFF])
    for _ in range(3):
        walk["propose_cadre"](cadre_a, leader_reason)
    # count, page joined to unit/cadre/proposer, reasons, attachments
    with django_assert_num_queries(4):
        client.get("/api/v1/interviews/")
    for _ in range(27):
        walk["propose_cadre"](cadre_a, leader_reason)
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/interviews/").json()["results"]) == 30


def test_reminders_appear_in_the_api_for_the_responsible_user(walk, users, cadre_a, leader_reason):
    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=45)
    svc.reminders_scan()
    mine = api(users[Role.STAFF]).get("/api/v1/reminders/?mine=1&open=1").json()["results"]
    assert [(r["kind"], r["responsible"]) for r in mine] == [("整改报告已逾期", "staff_a")]
    assert api(users[Role.HEAD]).get("/api/v1/reminders/?mine=1").json()["count"] == 0


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return buf.getvalue()


def test_attachments_accept_pdf_and_images_by_content(users, cadre_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    interview = svc.interview_record(
        actor=users[Role.STAFF],
        kind="talk",
        subject_type="cadre",
        cadre=cadre_a,
        conducted_on=days_ago(1),
        record="x",
    )
    client = api(users[Role.STAFF])
    url = f"/api/v1/interviews/{interview.pk}/attachments/"
    png = io.BytesIO(_png())
    png.name = "scan.png"
    assert client.post(url, {"file": png}, format="multipart").json()["content_type"] == "image/png"
    pdf = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    pdf.name = "记录.pdf"
    assert client.post(url, {"file": pdf}, format="multipart").status_code == 201

    fake = io.BytesIO(b"just text pretending")
    fake.name = "report.pdf"
    r = client.post(url, {"file": fake}, format="multipart")
    assert r.status_code == 415
    assert "PDF" in r.json()["error"]["message"]
    assert Attachment.objects.count() == 2


@pytest.mark.parametrize(
    ("sent_as", "kept_as", "content"),
    [
        ("x.html", "x.pdf", "pdf"),
        ("报告", "报告.pdf", "pdf"),
        ("scan.PDF", "scan.PDF", "pdf"),
        ("photo.jpg.exe", "photo.jpg.png", "png"),
        ("photo.jpeg", "photo.png", "png"),
        (".htaccess", ".htaccess.png", "png"),
        ("scan.png", "scan.png", "png"),
    ],
)
def test_an_attachment_is_named_with_the_extension_of_its_detected_type(
    users, cadre_a, tmp_path, settings, sent_as, kept_as, content
):
    settings.MEDIA_ROOT = tmp_path
    interview = svc.interview_record(
        actor=users[Role.STAFF], kind="talk", subject_type="cadre", cadre=cadre_a,
        conducted_on=days_ago(1), record="x",
    )  # fmt: skip
    data = io.BytesIO(_png() if content == "png" else b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    data.name = sent_as
    client = api(users[Role.STAFF])
    body = client.post(
        f"/api/v1/interviews/{interview.pk}/attachments/", {"file": data}, format="multipart"
    ).json()
    assert body["original_name"] == kept_as
    stored = Attachment.objects.get(pk=body["id"])
    assert stored.original_name == kept_as and stored.file.name.endswith(
        "." + ("png" if content == "png" else "pdf")
    )


def test_an_oversize_attachment_is_a_413(users, cadre_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.SUPERVISION_ATTACHMENT_MAX_BYTES = 1024 * 1024
    interview = svc.interview_record(
        actor=users[Role.STAFF],
        kind="talk",
        subject_type="cadre",
        cadre=cadre_a,
        conducted_on=days_ago(1),
        record="x",
    )
    big = io.BytesIO(b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    big.name = "big.pdf"
    r = api(users[Role.STAFF]).post(
        f"/api/v1/interviews/{interview.pk}/attachments/", {"file": big}, format="multipart"
    )
    assert r.status_code == 413
    assert "1MB" in r.json()["error"]["message"]
    assert not Attachment.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_reminder_runs_raise_each_reminder_once(users, cadre_a, leader_reason, walk):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=45)
    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=26)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            svc.reminders_scan()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Reminder.objects.count() == 2
