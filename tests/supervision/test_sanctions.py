"""Sanctions (处分): recorded with validation, audited, scoped; their 容错纠错 decision shown (made
only through supervision.services.exemptions, tested in tests/incentives/test_exemptions*.py)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import NoReverseMatch, reverse

from accounts.roles import Role
from audit.models import AuditEntry
from supervision.models import MatterType, Sanction
from supervision.services.sanctions import sanction_create
from tests.factories import make_exemption
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


def test_a_sanction_cannot_be_exempted_when_it_is_recorded(users, cadre_a):
    # one way to exempt: a head's 容错纠错 decision, never a flag on the sanction
    with pytest.raises(TypeError):
        record(users, cadre_a, exempted=True, exemption_note="可容")
    with pytest.raises(NoReverseMatch):
        reverse("supervision:sanction_exemption", args=[1])


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


def test_the_list_and_the_profile_show_the_decision_and_offer_a_head_to_decide(client, users, cadre_a):
    decided, undecided = record(users, cadre_a), record(users, cadre_a)
    exemption = make_exemption(users[Role.HEAD], MatterType.SANCTION, decided)
    decision_url = reverse("incentives:exemption_detail", args=[exemption.pk])
    decide_url = reverse("incentives:exemption_decide", args=["sanction", undecided.pk])
    client.force_login(users[Role.HEAD])
    for url in (reverse("supervision:sanction_list"), reverse("cadres:detail", args=[cadre_a.pk])):
        page = client.get(url).content.decode()
        assert decision_url in page and "可容" in page
        assert decide_url in page
    client.force_login(users[Role.STAFF])  # staff see the decision, and may not decide
    page = client.get(reverse("supervision:sanction_list")).content.decode()
    assert decision_url in page and decide_url not in page


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
