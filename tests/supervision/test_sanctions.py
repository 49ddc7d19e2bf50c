"""Sanctions (处分): recorded with validation, 容错免责 with a written basis, audited, scoped."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEntry
from supervision.models import Sanction
from supervision.services.sanctions import sanction_create, sanction_set_exemption
from tests.supervision.conftest import TODAY  # the fixed day every supervision test runs on

DAY = datetime.date(2025, 5, 6)


def record(users, cadre, **extra):
    return sanction_create(
        actor=users[Role.STAFF], cadre=cadre, kind="warning", decided_on=DAY, reason="迟到早退", **extra
    )


def test_a_sanction_is_recorded_and_audited(users, cadre_a):
    sanction = record(users, cadre_a)
    assert sanction.get_kind_display() == "警告"
    assert AuditEntry.objects.filter(cadre_id=cadre_a.pk, action="create").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": "fine"}, "kind", "请选择处分类型。"),
        ({"decided_on": None}, "decided_on", "请填写处分决定日期。"),
        ({"decided_on": TODAY + datetime.timedelta(days=1)}, "decided_on", "不能晚于今天"),
        ({"reason": "  "}, "reason", "请填写处分事由。"),
        ({"exempted": True}, "exemption_note", "认定容错免责须写明认定依据。"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(users, cadre_a, changes, field, message):
    args = {"kind": "warning", "decided_on": DAY, "reason": "迟到早退", **changes}
    with pytest.raises(ValidationError) as exc:
        sanction_create(actor=users[Role.STAFF], cadre=cadre_a, **args)
    assert message in " ".join(exc.value.message_dict[field])
    assert not Sanction.objects.exists()


def test_a_cadre_outside_the_scope_is_refused(users, cadre_b):
    with pytest.raises(ValidationError) as exc:
        record(users, cadre_b)
    assert "不在您的管辖范围内" in str(exc.value)


def test_read_only_roles_may_not_record_sanctions(users, cadre_a):
    for role in (Role.AUDITOR, Role.API_READER, Role.COUNTY_ADMIN):
        with pytest.raises(PermissionDenied):
            sanction_create(actor=users[role], cadre=cadre_a, kind="warning", decided_on=DAY, reason="x")


def test_marking_an_exemption_needs_its_basis_and_is_audited(users, cadre_a):
    sanction = record(users, cadre_a)
    with pytest.raises(ValidationError):
        sanction_set_exemption(actor=users[Role.STAFF], sanction=sanction, exempted=True, note="")
    sanction_set_exemption(
        actor=users[Role.STAFF], sanction=sanction, exempted=True, note="探索性失误，予以容错"
    )
    sanction.refresh_from_db()
    assert sanction.exempted and sanction.exemption_note == "探索性失误，予以容错"
    assert AuditEntry.objects.filter(cadre_id=cadre_a.pk, action="update").exists()


def test_the_form_records_a_sanction_for_the_preset_cadre(client, users, cadre_a):
    client.force_login(users[Role.STAFF])
    url = reverse("supervision:sanction_create") + f"?cadre={cadre_a.pk}"
    response = client.post(
        url, {"cadre": cadre_a.pk, "kind": "demerit", "decided_on": "2025-03-01", "reason": "违反工作纪律"}
    )
    assert response.status_code == 302
    assert Sanction.objects.get().kind == "demerit"
    profile = client.get(reverse("cadres:detail", args=[cadre_a.pk])).content.decode()
    assert "记过" in profile and "违反工作纪律" in profile


def test_the_form_shows_errors_in_chinese(client, users, cadre_a):
    client.force_login(users[Role.STAFF])
    response = client.post(
        reverse("supervision:sanction_create"),
        {"cadre": cadre_a.pk, "kind": "", "decided_on": "", "reason": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "请选择处分类型。" in page and "请填写处分决定日期。" in page and "请填写处分事由。" in page
    assert not Sanction.objects.exists()


def test_the_exemption_toggle_on_the_profile_works(client, users, cadre_a):
    sanction = record(users, cadre_a)
    client.force_login(users[Role.STAFF])
    url = reverse("supervision:sanction_exemption", args=[sanction.pk])
    client.post(url, {"exempted": "on", "exemption_note": "可容"})
    sanction.refresh_from_db()
    assert sanction.exempted
    client.post(url, {"exemption_note": "撤销认定"})
    sanction.refresh_from_db()
    assert not sanction.exempted


def test_the_list_is_scoped_filtered_and_takes_a_fixed_number_of_queries(
    client, users, cadre_a, cadre_b, django_assert_num_queries
):
    record(users, cadre_a)
    Sanction.objects.create(
        cadre=cadre_b, kind="demerit", decided_on=DAY, reason="乙县的处分", created_by=users["city_staff"]
    )
    client.force_login(users[Role.AUDITOR])
    url = reverse("supervision:sanction_list")
    client.get(url)
    # session, user, the user's unit (filter select indentation), the unit options, count, page
    with django_assert_num_queries(6):
        page = client.get(url).content.decode()
    assert "迟到早退" in page and "乙县的处分" not in page
    assert "迟到早退" not in client.get(url + "?kind=demerit").content.decode()
