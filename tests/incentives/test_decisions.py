"""Decisions on the 三挂钩 lists: granted or declined, always with a reason and by whom, only on an
entry that exists and is in scope; re-deciding and withdrawing leave their trail."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditAction, AuditEntry
from incentives.models import Decision, Entry, Verdict
from incentives.services_decisions import decision_record, decision_withdraw
from tests.factories import CadreFactory, IncentiveEntryFactory, make_period


@pytest.fixture
def period(db):
    return make_period(year=2025, status="published")


@pytest.fixture
def entry(period, cadre_a):
    return IncentiveEntryFactory(period=period, cadre=cadre_a, kind="commendation", eligible=True)


@pytest.fixture
def left_out(period, tree):
    cadre = CadreFactory(unit=tree["town_a"], name="王五")
    return IncentiveEntryFactory(period=period, cadre=cadre, kind="commendation", eligible=False)


def record(user, entry, verdict="granted", reason="经部务会研究同意", **kw):
    return decision_record(
        actor=user,
        period=entry.period,
        cadre=entry.cadre,
        kind=entry.kind,
        verdict=verdict,
        reason=reason,
        **kw,
    )


def test_granting_an_entry_records_the_verdict_the_reason_who_and_the_entry_as_it_was(users, entry, clock):
    clock.set("2026-02-10")
    decision = record(users["staff"], entry)
    assert (decision.verdict, decision.reason, decision.decided_by) == (
        "granted",
        "经部务会研究同意",
        users["staff"],
    )
    assert decision.decided_on == datetime.date(2026, 2, 10)
    assert decision.unit == entry.unit
    assert decision.snapshot["eligible"] is True
    assert decision.snapshot["reasons"] == entry.reasons
    log = AuditEntry.objects.get(model="incentives.decision")
    assert log.action == AuditAction.CREATE and log.cadre_id == entry.cadre_id
    assert "评先选优" in log.reason and "同意" in log.reason
    assert log.scope_path == entry.unit.path


@pytest.mark.parametrize("verdict", ["granted", "declined"])
def test_a_decision_without_a_reason_is_refused_and_nothing_is_written(users, entry, verdict):
    with pytest.raises(ValidationError) as exc:
        record(users["staff"], entry, verdict=verdict, reason="   ")
    assert "reason" in exc.value.message_dict
    assert (
        not Decision.objects.exists() and not AuditEntry.objects.filter(model="incentives.decision").exists()
    )


def test_declining_an_eligible_entry_without_a_reason_says_it_is_eligible(users, entry):
    with pytest.raises(ValidationError) as exc:
        record(users["staff"], entry, verdict="declined", reason="")
    assert exc.value.message_dict["reason"] == ["该干部符合“评先选优”的条件，不同意的须写明理由。"]


def test_granting_a_left_out_entry_without_a_reason_says_why_it_was_left_out(users, left_out):
    with pytest.raises(ValidationError) as exc:
        record(users["staff"], left_out, reason="")
    message = exc.value.message_dict["reason"][0]
    assert "不符合“评先选优”的条件" in message and "年度考核为基本称职" in message and "须写明理由" in message


def test_granting_a_left_out_entry_with_a_reason_is_recorded_as_against_the_list(users, left_out):
    decision = record(users["staff"], left_out, reason="抢险救灾中表现突出，经部务会研究破格推荐")
    assert decision.verdict == Verdict.GRANTED and decision.snapshot["eligible"] is False
    assert "不符合条件，经研究同意" in AuditEntry.objects.get(model="incentives.decision").reason


def test_no_entry_means_no_decision(users, period, cadre_a):
    with pytest.raises(ValidationError) as exc:
        decision_record(
            actor=users["staff"], period=period, cadre=cadre_a, kind="merit3", verdict="granted", reason="好"
        )
    assert "不在2025年度“记三等功”名单上" in exc.value.message_dict["kind"][0]


def test_an_unknown_verdict_or_list_is_refused(users, entry):
    with pytest.raises(ValidationError) as exc:
        record(users["staff"], entry, verdict="maybe")
    assert "verdict" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        decision_record(
            actor=users["staff"],
            period=entry.period,
            cadre=entry.cadre,
            kind="medal",
            verdict="granted",
            reason="x",
        )
    assert "kind" in exc.value.message_dict


def test_chinese_labels_are_accepted_for_the_verdict_and_the_list(users, entry):
    decision = decision_record(
        actor=users["staff"],
        period=entry.period,
        cadre=entry.cadre,
        kind="评先选优",
        verdict="不同意",
        reason="名额已满",
    )
    assert (decision.kind, decision.verdict) == ("commendation", "declined")


@pytest.mark.parametrize("role", ["county_admin", "api_reader", "auditor"])
def test_a_read_only_role_may_not_decide(users, entry, role):
    with pytest.raises(PermissionDenied):
        record(users[role], entry)
    assert not Decision.objects.exists()


def test_an_entry_outside_the_subtree_may_not_be_decided(users, period, cadre_b):
    outside = IncentiveEntryFactory(period=period, cadre=cadre_b)
    with pytest.raises(PermissionDenied):
        record(users["staff"], outside)
    # one level up covers it
    assert record(users["city_staff"], outside).verdict == "granted"


def test_deciding_again_updates_the_decision_and_audits_before_and_after(users, entry):
    record(users["staff"], entry)
    decision = record(users["head"], entry, verdict="declined", reason="群众反映较多，暂缓")
    assert Decision.objects.count() == 1
    assert (decision.verdict, decision.decided_by) == ("declined", users["head"])
    update = AuditEntry.objects.filter(model="incentives.decision", action=AuditAction.UPDATE).get()
    assert update.changes["verdict"] == ["granted", "declined"]
    assert update.changes["reason"] == ["经部务会研究同意", "群众反映较多，暂缓"]


def test_a_decision_in_the_future_is_refused(users, entry, clock):
    clock.set("2026-02-10")
    with pytest.raises(ValidationError) as exc:
        record(users["staff"], entry, decided_on=datetime.date(2026, 2, 11))
    assert "decided_on" in exc.value.message_dict
    assert record(users["staff"], entry, decided_on=datetime.date(2026, 2, 10)).decided_on == datetime.date(
        2026, 2, 10
    )


def test_a_granted_bonus_carries_the_entry_amount_and_a_declined_one_none(users, period, cadre_a):
    bonus = IncentiveEntryFactory(
        period=period,
        cadre=cadre_a,
        kind="bonus",
        coefficient=Decimal("1.20"),
        base=Decimal("10000.00"),
        withheld=Decimal("0.00"),
        amount=Decimal("12000.00"),
    )
    assert record(users["staff"], bonus).amount == Decimal("12000.00")
    assert record(users["staff"], bonus, verdict="declined", reason="召回期间扣发").amount is None
    assert Decision.objects.get().snapshot["amount"] == "12000.00"


def test_a_decision_survives_a_recomputation_of_the_lists(users, entry):
    record(users["staff"], entry)
    Entry.objects.all().delete()  # a recomputation replaces the period's entries
    IncentiveEntryFactory(period=entry.period, cadre=entry.cadre, kind=entry.kind, eligible=False)
    decision = Decision.objects.get()
    assert decision.verdict == "granted" and decision.snapshot["eligible"] is True


def test_withdrawing_a_decision_needs_a_reason_and_leaves_the_trail(users, entry):
    decision = record(users["staff"], entry)
    with pytest.raises(ValidationError):
        decision_withdraw(actor=users["staff"], decision=decision, reason="")
    with pytest.raises(PermissionDenied):
        decision_withdraw(actor=users["auditor"], decision=decision, reason="录错了")
    decision_withdraw(actor=users["staff"], decision=decision, reason="录错了")
    assert not Decision.objects.exists()
    gone = AuditEntry.objects.get(model="incentives.decision", action=AuditAction.DELETE)
    assert "录错了" in gone.reason and gone.changes["verdict"] == ["granted", None]
