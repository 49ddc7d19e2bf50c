"""Township service ([001] 铜川): a cadre with under 2 years in the township may not be transferred
or seconded out of it, unless a head approves with a reason (audited with the move); the figures
(years and months, the new-recruit minimum of 3 years and when it is met) come with their rule."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from assessment.models import PolicyRule, RuleKind
from audit.models import AuditEntry
from cadres import services as cadre_services
from cadres.models import Cadre, PostKind, PostRecord, UnitKind
from cadres.moves import MOVE_CHECKS
from incentives.grassroots import span_text, township_move_check, township_service, township_service_many
from tests.factories import CadreFactory, unit_child

TODAY = datetime.date(2026, 3, 10)
REFUSED = "到乡镇工作 1 年 11 个月，未满 2 年，不得调出或借调"


@pytest.fixture
def today(clock):
    return clock.set(TODAY)


@pytest.fixture
def village(tree):
    return unit_child(tree["town_a"], "C01A0101", "甲村", UnitKind.VILLAGE)


@pytest.fixture
def dept(tree):
    return unit_child(tree["county_a"], "C01A02", "甲县审计局", UnitKind.DEPARTMENT)


def township_cadre(tree, start, **extra):
    return CadreFactory(unit=tree["town_a"], name="王新", township_service_start=start, **extra)


def unit_of(cadre):
    return Cadre.objects.get(pk=cadre.pk).unit_id


def test_the_check_is_registered_with_the_registry():
    assert township_move_check in MOVE_CHECKS


# --------------------------------------------------------------------------- the 2-year edge


def test_one_day_short_of_two_years_a_transfer_out_is_refused_naming_the_service(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    with pytest.raises(ValidationError) as caught:
        cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"])
    assert REFUSED in caught.value.message_dict["unit"][0]
    assert "王新" in caught.value.message_dict["unit"][0]
    assert unit_of(cadre) == tree["town_a"].pk


def test_exactly_two_years_a_transfer_out_is_allowed(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 10))
    cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"])
    assert unit_of(cadre) == tree["county_a"].pk


def test_a_start_on_29_february_completes_two_years_on_28_february(users, tree, clock):
    clock.set("2026-02-27")
    cadre = township_cadre(tree, datetime.date(2024, 2, 29))
    with pytest.raises(ValidationError):
        cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"])
    clock.set("2026-02-28")
    cadre.refresh_from_db()
    cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"])
    assert unit_of(cadre) == tree["county_a"].pk


def test_a_move_within_the_township_subtree_is_not_out(users, tree, village, today):
    cadre = township_cadre(tree, datetime.date(2025, 9, 1))
    cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=village)
    assert unit_of(cadre) == village.pk


def test_a_cadre_not_in_a_township_is_unaffected(users, tree, dept, today):
    # a start on record, but serving in a county department: not leaving a township
    cadre = CadreFactory(unit=dept, township_service_start=datetime.date(2025, 9, 1))
    cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"])
    assert unit_of(cadre) == tree["county_a"].pk


def test_a_township_cadre_without_a_start_on_record_is_unaffected(users, tree, today):
    cadre = CadreFactory(unit=tree["town_a"])
    cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"])
    assert unit_of(cadre) == tree["county_a"].pk


def test_a_change_that_is_not_a_move_is_not_checked(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2025, 9, 1))
    cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, post_title="党政办主任")
    assert Cadre.objects.get(pk=cadre.pk).post_title == "党政办主任"


# --------------------------------------------------------------------------- approval


def test_a_heads_approval_lets_the_move_through_and_is_audited_with_it(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    cadre_services.cadre_update(
        actor=users[Role.HEAD],
        cadre=cadre,
        unit=tree["county_a"],
        reason="县委组织部调令",
        approval_reason="县重点项目急需专业人才",
    )
    assert unit_of(cadre) == tree["county_a"].pk
    entry = AuditEntry.objects.filter(model="cadres.cadre", object_id=str(cadre.pk)).latest("id")
    assert entry.changes["unit"] == [tree["town_a"].pk, tree["county_a"].pk]
    assert "县委组织部调令" in entry.reason
    assert REFUSED in entry.reason
    assert "审批理由：县重点项目急需专业人才" in entry.reason


def test_a_staff_users_approval_is_refused(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    with pytest.raises(PermissionDenied, match="只有部长"):
        cadre_services.cadre_update(
            actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"], approval_reason="我同意"
        )
    assert unit_of(cadre) == tree["town_a"].pk


def test_a_blank_approval_reason_is_no_approval(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    with pytest.raises(ValidationError, match="审批理由"):
        cadre_services.cadre_update(
            actor=users[Role.HEAD], cadre=cadre, unit=tree["county_a"], approval_reason="  "
        )


def test_an_approval_on_an_allowed_move_changes_nothing_in_the_reason(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2020, 1, 1))
    cadre_services.cadre_update(
        actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"], reason="调任", approval_reason="无需审批"
    )
    entry = AuditEntry.objects.filter(model="cadres.cadre", object_id=str(cadre.pk)).latest("id")
    assert entry.reason == "调任"


# --------------------------------------------------------------------------- secondment (借调)


def test_a_secondment_out_of_the_township_is_refused(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    post = PostRecord(unit=tree["county_a"], title="借调县委办", kind=PostKind.SECONDMENT, start_date=TODAY)
    with pytest.raises(ValidationError) as caught:
        cadre_services.history_save(actor=users[Role.STAFF], cadre=cadre, instance=post)
    assert REFUSED in caught.value.message_dict["unit"][0]
    assert not PostRecord.objects.filter(cadre=cadre).exists()


def test_a_secondment_to_a_unit_outside_the_system_is_out(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2025, 1, 1))
    post = PostRecord(unit_name="省发改委", title="借调", kind=PostKind.SECONDMENT, start_date=TODAY)
    with pytest.raises(ValidationError, match="未满 2 年"):
        cadre_services.history_save(actor=users[Role.STAFF], cadre=cadre, instance=post)


def test_a_secondment_within_the_township_is_allowed(users, tree, village, today):
    cadre = township_cadre(tree, datetime.date(2025, 9, 1))
    post = PostRecord(unit=village, title="驻村工作", kind=PostKind.SECONDMENT, start_date=TODAY)
    cadre_services.history_save(actor=users[Role.STAFF], cadre=cadre, instance=post)
    assert PostRecord.objects.filter(cadre=cadre, kind=PostKind.SECONDMENT).count() == 1


def test_a_regular_post_entry_elsewhere_is_not_a_secondment(users, tree, today):
    # the post history of where the cadre was before: not checked
    cadre = township_cadre(tree, datetime.date(2025, 9, 1))
    post = PostRecord(unit=tree["county_a"], title="科员", start_date=datetime.date(2010, 1, 1))
    cadre_services.history_save(actor=users[Role.STAFF], cadre=cadre, instance=post)


def test_an_approved_secondment_edited_later_is_not_checked_again(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    post = PostRecord(unit=tree["county_a"], title="借调县委办", kind=PostKind.SECONDMENT, start_date=TODAY)
    cadre_services.history_save(
        actor=users[Role.HEAD], cadre=cadre, instance=post, approval_reason="防汛急需"
    )
    post.title = "借调县委办（综合科）"
    cadre_services.history_save(actor=users[Role.STAFF], cadre=cadre, instance=post)
    # but moving it to another unit is a new secondment
    post.unit = tree["county_b"]
    with pytest.raises((ValidationError, PermissionDenied)):
        cadre_services.history_save(actor=users["city_staff"], cadre=cadre, instance=post)


def test_a_secondment_before_the_township_service_began_is_not_out(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2025, 9, 1))
    post = PostRecord(
        unit=tree["county_a"], title="借调", kind=PostKind.SECONDMENT, start_date=datetime.date(2020, 1, 1)
    )
    cadre_services.history_save(actor=users[Role.STAFF], cadre=cadre, instance=post)


def test_a_post_change_to_a_secondment_is_checked_on_its_day(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    with pytest.raises(ValidationError, match="未满 2 年"):
        cadre_services.cadre_post_change(
            actor=users[Role.STAFF],
            cadre=cadre,
            post_title="借调县委办",
            on=TODAY,
            post_kind=PostKind.SECONDMENT,
            post_unit=tree["county_a"],
        )
    assert Cadre.objects.get(pk=cadre.pk).post_title == "副镇长"
    cadre_services.cadre_post_change(
        actor=users[Role.HEAD],
        cadre=cadre,
        post_title="借调县委办",
        on=TODAY,
        post_kind=PostKind.SECONDMENT,
        post_unit=tree["county_a"],
        approval_reason="县委安排",
    )
    entry = PostRecord.objects.get(cadre=cadre, kind=PostKind.SECONDMENT)
    assert entry.unit_id == tree["county_a"].pk
    assert unit_of(cadre) == tree["town_a"].pk  # a secondment leaves the cadre on the township's books
    audit = AuditEntry.objects.filter(model="cadres.postrecord", object_id=str(entry.pk)).get()
    assert "审批理由：县委安排" in audit.reason


def test_a_post_change_moving_the_unit_is_checked_on_its_day_not_today(users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    # on 2026-03-10 the service is 1 year 11 months; a change dated 2026-03-11 would be 2 years,
    # but a day still to come changes the title only: the move is checked today
    with pytest.raises(ValidationError):
        cadre_services.cadre_post_change(
            actor=users[Role.STAFF], cadre=cadre, post_title="科员", on=TODAY, unit=tree["county_a"]
        )


# --------------------------------------------------------------------------- the rule as data


def test_a_unit_that_switches_the_rule_off_has_no_limit(users, tree, today):
    default = PolicyRule.objects.get(unit=None, kind=RuleKind.GRASSROOTS)
    PolicyRule.objects.create(
        unit=tree["town_a"], kind=RuleKind.GRASSROOTS, params=default.params, enabled=False
    )
    cadre = township_cadre(tree, datetime.date(2025, 9, 1))
    cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"])
    assert unit_of(cadre) == tree["county_a"].pk


def test_a_county_override_of_one_year_applies_to_its_townships(users, tree, today):
    params = {"recruit_min_years": 3, "move_min_years": 1, "recruit_window_months": 12}
    PolicyRule.objects.create(unit=tree["county_a"], kind=RuleKind.GRASSROOTS, params=params)
    cadre = township_cadre(tree, datetime.date(2025, 3, 10))
    cadre_services.cadre_update(actor=users[Role.STAFF], cadre=cadre, unit=tree["county_a"])
    assert unit_of(cadre) == tree["county_a"].pk
    other = township_cadre(tree, datetime.date(2025, 3, 11))
    with pytest.raises(ValidationError, match="到乡镇工作 11 个月，未满 1 年"):
        cadre_services.cadre_update(actor=users[Role.STAFF], cadre=other, unit=tree["county_a"])


# --------------------------------------------------------------------------- the figures


def test_span_text():
    assert span_text(1, 11) == "1 年 11 个月"
    assert span_text(2, 0) == "2 年"
    assert span_text(0, 11) == "11 个月"
    assert span_text(0, 0) == "0 个月"


def test_a_new_recruit_meets_the_three_year_minimum_on_the_third_anniversary(tree, today):
    cadre = township_cadre(tree, datetime.date(2023, 3, 11), work_start_date=datetime.date(2023, 3, 1))
    service = township_service(cadre, TODAY)
    assert service.is_recruit
    assert (service.years, service.months) == (2, 11)
    assert service.recruit_met is False
    assert service.recruit_met_on == datetime.date(2026, 3, 11)
    assert service.move_allowed is True
    assert township_service(cadre, datetime.date(2026, 3, 11)).recruit_met is True
    effects = [r["effect"] for r in service.reasons]
    assert "新录用人员最低服务年限 3 年未满，2026-03-11 期满" in effects
    assert all("基层服务年限" in r["rule"] for r in service.reasons)


def test_a_cadre_who_came_to_the_township_years_after_starting_work_is_not_a_new_recruit(tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11), work_start_date=datetime.date(2010, 7, 1))
    service = township_service(cadre, TODAY)
    assert not service.is_recruit
    assert service.move_allowed is False
    assert service.move_allowed_on == datetime.date(2026, 3, 11)
    assert [r["effect"] for r in service.reasons] == [f"{REFUSED}，2026-03-11 起可以"]


def test_the_recruit_window_edge_is_inclusive(tree, today):
    work = datetime.date(2023, 1, 15)
    inside = township_cadre(tree, datetime.date(2024, 1, 15), work_start_date=work)
    outside = township_cadre(tree, datetime.date(2024, 1, 16), work_start_date=work)
    assert township_service(inside, TODAY).is_recruit
    assert not township_service(outside, TODAY).is_recruit


def test_the_set_based_variant_reads_any_number_of_cadres_in_two_queries(
    tree, village, dept, today, django_assert_num_queries
):
    cadres = [
        township_cadre(tree, datetime.date(2024, 3, 11)),
        CadreFactory(unit=village, township_service_start=datetime.date(2020, 1, 1)),
        CadreFactory(unit=dept),
        CadreFactory(unit=tree["town_b"], township_service_start=datetime.date(2026, 1, 1)),
    ]
    loaded = list(Cadre.objects.select_related("unit").filter(pk__in=[c.pk for c in cadres]).order_by("pk"))
    # the townships above the cadres' units; the GRASSROOTS rules
    with django_assert_num_queries(2):
        found = township_service_many(loaded, TODAY)
    first, in_village, in_dept, in_b = (found[c.pk] for c in cadres)
    assert (first.township_name, first.move_allowed) == ("甲镇", False)
    assert (in_village.township_name, in_village.years, in_village.move_allowed) == ("甲镇", 6, True)
    assert not in_dept.in_township and not in_dept.recorded
    assert (in_b.township_name, in_b.months, in_b.move_allowed) == ("乙镇", 2, False)


def test_the_profile_shows_the_township_service(client, users, tree, today):
    cadre = township_cadre(tree, datetime.date(2024, 3, 11))
    client.force_login(users[Role.STAFF])
    page = client.get(f"/cadres/{cadre.pk}/").content.decode()
    assert "基层服务年限" in page
    assert "1 年 11 个月" in page
    assert "2026-03-11 前调出或借调须部长审批" in page


def test_the_profile_leaves_the_section_out_for_a_cadre_with_no_township(client, users, tree, dept, today):
    cadre = CadreFactory(unit=dept)
    client.force_login(users[Role.STAFF])
    page = client.get(f"/cadres/{cadre.pk}/").content.decode()
    assert 'data-testid="township-service"' not in page


def test_the_post_history_marks_a_secondment(client, users, tree, today):
    cadre = township_cadre(tree, datetime.date(2020, 3, 11))
    post = PostRecord(unit=tree["county_a"], title="借调县委办", kind=PostKind.SECONDMENT, start_date=TODAY)
    cadre_services.history_save(actor=users[Role.STAFF], cadre=cadre, instance=post)
    client.force_login(users[Role.STAFF])
    page = client.get(f"/cadres/{cadre.pk}/").content.decode()
    assert '<span class="badge text-bg-light border">借调</span>' in page
