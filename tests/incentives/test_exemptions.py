"""容错纠错 (supervision.services.exemptions): who may decide, on what, with which date; and what a
decision changes once committed: a 可容 约谈 or sanction no longer caps the open annual grade (the
explanation cites the decision) while a 不容 one still does, a published period is left as it is,
a 可容 talk or recall case no longer counts for the flag rules, and a flag decided 可容 closes and
stays closed on the next flag run."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus, TeamAssessment
from assessment.services.recompute import period_recompute
from audit.models import AuditEntry
from cadres.models import TeamMembership
from recall.flags import flags_evaluate
from recall.models import Flag, FlagStatus
from supervision.models import Exemption, Interview, MatterType, Sanction
from supervision.services.exemptions import (
    ExemptionExists,
    exemption_decide,
    exemption_revise,
    exemption_revoke,
)
from tests.factories import CadreFactory, make_period
from tests.recall.flag_facts import case, grade, talk

TODAY = datetime.date(2026, 6, 15)
CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
BASIS = "属推进改革中的探索性失误，未谋取私利，已及时纠正。"


@pytest.fixture(autouse=True)
def today(clock):
    return clock.set(TODAY)


def decide(actor, matter_type, matter, *, verdict="tolerable", on=TODAY, **changes):
    args = {
        "intent": "negligent",
        "motive": "public",
        "nature": "trial",
        "verdict": verdict,
        "basis": BASIS,
        "decided_on": on,
        **changes,
    }
    return exemption_decide(actor=actor, matter_type=matter_type, matter_id=matter.pk, **args)


@pytest.fixture
def head(users):
    return users[Role.HEAD]


# --------------------------------------------------------------------------- who, what, when


def test_only_a_head_may_decide(users, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    for role in (Role.STAFF, Role.COUNTY_ADMIN, Role.AUDITOR, Role.API_READER):
        with pytest.raises(PermissionDenied) as refused:
            decide(users[role], MatterType.INTERVIEW, yuetan)
        assert str(refused.value) == "只有部长（分管负责人）可以作出容错纠错认定。"
    assert not Exemption.objects.exists()


def test_a_matter_outside_the_heads_subtree_is_not_found(head, cadre_b):
    yuetan = talk(cadre_b, "yuetan", "2026-03-10")
    with pytest.raises(Http404):
        decide(head, MatterType.INTERVIEW, yuetan)
    with pytest.raises(Http404):
        exemption_decide(
            actor=head,
            matter_type=MatterType.INTERVIEW,
            matter_id=yuetan.pk + 1000,
            intent="negligent",
            motive="public",
            nature="trial",
            verdict="tolerable",
            basis=BASIS,
            decided_on=TODAY,
        )
    assert not Exemption.objects.exists()


def test_the_decision_takes_its_subject_from_the_matter_and_is_audited(head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    decision = decide(head, MatterType.INTERVIEW, yuetan)
    assert (decision.cadre, decision.unit, decision.decided_by) == (cadre_a, cadre_a.unit, head)
    entry = AuditEntry.objects.get(model="supervision.exemption", object_id=str(decision.pk))
    assert entry.action == "create" and entry.cadre_id == cadre_a.pk
    assert "约谈（2026-03-10）：张三" in entry.reason and "可容" in entry.reason


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"basis": "  "}, "basis", "请写明认定依据。"),
        ({"verdict": "maybe"}, "verdict", "请选择认定结论（可容或不容）。"),
        ({"intent": ""}, "intent", "请选择故意或过失。"),
        ({"motive": "x"}, "motive", "请选择因私或因公。"),
        ({"nature": None}, "nature", "请选择违规或探索试错。"),
        ({"on": None}, "decided_on", "请填写认定日期。"),
        ({"on": TODAY + datetime.timedelta(days=1)}, "decided_on", "认定日期（2026-06-16）不能晚于今天。"),
        (
            {"on": datetime.date(2026, 3, 9)},
            "decided_on",
            "认定日期（2026-03-09）不能早于事项发生日期（2026-03-10）。",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(head, cadre_a, changes, field, message):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    with pytest.raises(ValidationError) as refused:
        decide(head, MatterType.INTERVIEW, yuetan, **changes)
    assert refused.value.message_dict[field] == [message]
    assert not Exemption.objects.exists()


@pytest.mark.parametrize("on", [datetime.date(2026, 3, 10), TODAY], ids=["the_matters_day", "today"])
def test_the_decision_may_fall_on_the_matters_day_or_today(head, cadre_a, on):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    assert decide(head, MatterType.INTERVIEW, yuetan, on=on).decided_on == on


def test_a_sanction_is_dated_by_its_decision_and_scoped_by_its_cadre(head, users, cadre_a):
    sanction = Sanction.objects.create(
        cadre=cadre_a, kind="warning", decided_on=datetime.date(2026, 4, 1), reason="x", created_by=head
    )
    with pytest.raises(ValidationError) as refused:
        decide(head, MatterType.SANCTION, sanction, on=datetime.date(2026, 3, 31))
    assert "不能早于事项发生日期（2026-04-01）" in refused.value.message_dict["decided_on"][0]
    assert decide(head, MatterType.SANCTION, sanction).unit == cadre_a.unit


def test_a_matter_is_decided_once_then_revised(head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    first = decide(head, MatterType.INTERVIEW, yuetan)
    with pytest.raises(ExemptionExists) as exists:
        decide(head, MatterType.INTERVIEW, yuetan, verdict="intolerable")
    assert exists.value.exemption == first
    assert str(exists.value) == f"该事项已有容错纠错认定（认定编号 {first.pk}），请修改原认定。"
    assert Exemption.objects.count() == 1


def test_a_revision_is_checked_and_audited_with_before_and_after(head, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    decision = decide(head, MatterType.INTERVIEW, yuetan)
    with pytest.raises(ValidationError):
        exemption_revise(actor=head, exemption=decision, basis="")
    with pytest.raises(ValidationError):
        exemption_revise(actor=head, exemption=decision, matter_id=1)
    exemption_revise(actor=head, exemption=decision, verdict="intolerable", reason="复核后改为不容")
    decision.refresh_from_db()
    assert decision.verdict == "intolerable"
    entry = AuditEntry.objects.filter(model="supervision.exemption", action="update").get()
    assert entry.changes["verdict"] == ["tolerable", "intolerable"]
    assert entry.reason == "复核后改为不容"


def test_a_revocation_needs_its_reason_and_is_audited(head, users, cadre_a):
    yuetan = talk(cadre_a, "yuetan", "2026-03-10")
    decision = decide(head, MatterType.INTERVIEW, yuetan)
    with pytest.raises(PermissionDenied):
        exemption_revoke(actor=users[Role.STAFF], exemption=decision, reason="x")
    with pytest.raises(ValidationError) as refused:
        exemption_revoke(actor=head, exemption=decision, reason=" ")
    assert refused.value.message_dict == {"reason": ["请写明撤销认定的理由。"]}
    exemption_revoke(actor=head, exemption=decision, reason="认定依据不足")
    assert not Exemption.objects.exists()
    entry = AuditEntry.objects.get(model="supervision.exemption", action="delete")
    assert entry.reason == "撤销容错纠错认定：认定依据不足"


# --------------------------------------------------------------------------- grades


def five(tree, year=2026, status="collecting"):
    """An annual period with five cadres in 甲镇 scored 95 down to 91: the top one is the
    unit's one 优秀 (20% of five) unless something caps it."""
    period = make_period(year=year, status=status)
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(5)]
    for n, cadre in enumerate(cadres):
        Assessment.objects.create(
            period=period, cadre=cadre, unit=cadre.unit, scores=dict.fromkeys(CODES, 95 - n)
        )
    period_recompute(period_id=period.pk)
    return period, cadres[0]


def graded(period, cadre) -> Assessment:
    return Assessment.objects.get(period=period, cadre=cadre)


def explained(row: Assessment) -> str:
    return "\n".join(f"{e['rule']}:{e['effect']}:{e['facts']}" for e in row.explanation)


def test_a_tolerated_yuetan_lifts_the_excellent_cap_and_the_grade_cites_the_decision(
    tree, head, django_capture_on_commit_callbacks
):
    period, top = five(tree)
    yuetan = talk(top, "yuetan", "2026-03-10")
    period_recompute(period_id=period.pk)
    assert graded(period, top).final_grade == "称职"
    assert "约谈限制等次:至多称职" in explained(graded(period, top))
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(head, MatterType.INTERVIEW, yuetan, on=datetime.date(2026, 4, 1))
    row = graded(period, top)  # recomputed by the job the decision queued
    assert row.final_grade == "优秀"
    assert (
        f"容错纠错:不计入约谈次数:2026-03-10 约谈经容错纠错认定为可容（2026-04-01，{head.get_username()}认定，"
        f"认定编号 {decision.pk}），不因此限制等次"
    ) in explained(row)
    assert "约谈限制等次" not in explained(row)


def test_an_intolerable_yuetan_still_caps(tree, head, django_capture_on_commit_callbacks):
    period, top = five(tree)
    yuetan = talk(top, "yuetan", "2026-03-10")
    with django_capture_on_commit_callbacks(execute=True):
        decide(head, MatterType.INTERVIEW, yuetan, verdict="intolerable")
    row = graded(period, top)
    assert row.final_grade == "称职"
    assert "约谈限制等次:至多称职" in explained(row) and "容错纠错" not in explained(row)


def test_revoking_the_decision_puts_the_cap_back(tree, head, django_capture_on_commit_callbacks):
    period, top = five(tree)
    yuetan = talk(top, "yuetan", "2026-03-10")
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(head, MatterType.INTERVIEW, yuetan)
    assert graded(period, top).final_grade == "优秀"
    with django_capture_on_commit_callbacks(execute=True):
        exemption_revoke(actor=head, exemption=decision, reason="认定依据不足")
    assert graded(period, top).final_grade == "称职"


def test_a_tolerated_sanction_no_longer_caps_within_its_influence_period(
    tree, head, django_capture_on_commit_callbacks
):
    period, top = five(tree)
    warning = Sanction.objects.create(
        cadre=top, kind="warning", decided_on=datetime.date(2026, 2, 1), reason="迟到", created_by=head
    )
    period_recompute(period_id=period.pk)
    assert graded(period, top).final_grade == "称职"
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(head, MatterType.SANCTION, warning)
    row = graded(period, top)
    assert row.final_grade == "优秀"
    assert (
        "容错纠错:不限制等次:2026-02-01 受警告处分（考核年度内），经容错纠错认定为可容（2026-06-15，"
        f"{head.get_username()}认定，认定编号 {decision.pk}）"
    ) in explained(row)


def test_a_published_period_is_not_rewritten_by_a_decision(tree, head, django_capture_on_commit_callbacks):
    period, top = five(tree, year=2025)
    yuetan = talk(top, "yuetan", "2025-03-10")
    period_recompute(period_id=period.pk)
    period.status = PeriodStatus.PUBLISHED
    period.save(update_fields=["status"])
    with django_capture_on_commit_callbacks(execute=True):
        decide(head, MatterType.INTERVIEW, yuetan)
    assert graded(period, top).final_grade == "称职"  # only the correction procedure changes it


def test_a_tolerated_team_yuetan_lifts_the_team_and_main_leader_caps(
    tree, head, django_capture_on_commit_callbacks
):
    town = tree["town_a"]
    period = make_period(year=2026, status="collecting")
    cadres = [CadreFactory(unit=town) for _ in range(10)]
    for n, cadre in enumerate(cadres):
        Assessment.objects.create(period=period, cadre=cadre, unit=town, scores=dict.fromkeys(CODES, 98 - n))
    TeamMembership.objects.create(unit=town, cadre=cadres[0], role_title="书记", is_main_leader=True)
    TeamMembership.objects.create(unit=town, cadre=cadres[1], role_title="镇长")
    talks = [
        Interview.objects.create(
            kind="yuetan",
            subject_type="team",
            unit=town,
            status="conducted",
            conducted_on=day,
            proposed_by=head,
        )
        for day in (datetime.date(2026, 2, 1), datetime.date(2026, 5, 1))
    ]
    period_recompute(period_id=period.pk)
    team = TeamAssessment.objects.get(period=period, unit=town)
    assert (team.computed_grade, graded(period, cadres[0]).final_grade) == ("良好", "称职")
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(head, MatterType.INTERVIEW, talks[1])
    team.refresh_from_db()
    leader = graded(period, cadres[0])
    assert (team.computed_grade, leader.final_grade) == ("优秀", "优秀")
    cited = f"2026-05-01 所在领导班子约谈经容错纠错认定为可容（2026-06-15，{head.get_username()}认定，认定编号 {decision.pk}）"
    assert cited in explained(leader)
    assert any(f"认定编号 {decision.pk}）" in e["facts"] for e in team.explanation)


# --------------------------------------------------------------------------- flags


def test_a_tolerated_yuetan_no_longer_counts_for_the_interviews_rule(
    head, cadre_a, django_capture_on_commit_callbacks
):
    talk(cadre_a, "yuetan", "2026-02-10")
    second = talk(cadre_a, "admonish", "2026-03-10")
    flags_evaluate()
    (flag,) = Flag.objects.filter(cadre=cadre_a)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(head, MatterType.INTERVIEW, second)
    flag.refresh_from_db()  # closed by the flag job the decision queued
    assert flag.status == FlagStatus.CLOSED
    assert flag.close_reason == (
        f"所涉事项经容错纠错认定为可容（2026-06-15，{head.get_username()}认定，认定编号 {decision.pk}），预警条件不再成立"
    )


def test_a_third_talk_keeps_the_rule_firing_on_the_talks_that_count(head, cadre_a):
    talk(cadre_a, "yuetan", "2026-02-10")
    second = talk(cadre_a, "admonish", "2026-03-10")
    third = talk(cadre_a, "yuetan", "2026-04-10")
    decide(head, MatterType.INTERVIEW, second)
    flags_evaluate()
    (flag,) = Flag.objects.filter(cadre=cadre_a, status=FlagStatus.OPEN)
    assert [f["value"] for f in flag.facts] == ["2026-02-10", "2026-04-10"]
    assert third.pk in [f["ref"]["id"] for f in flag.facts]


def test_a_tolerated_recall_case_no_longer_counts(head, cadre_a, django_capture_on_commit_callbacks):
    case(cadre_a, approved_on="2024-03-01")
    second = case(cadre_a, approved_on="2025-09-01", proposed_on="2025-08-20")
    flags_evaluate()
    (flag,) = Flag.objects.filter(cadre=cadre_a, rule_key="flag_recall:recalled_2")
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(head, MatterType.RECALL_CASE, second)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED
    assert f"认定编号 {decision.pk}）" in flag.close_reason


def test_a_flag_decided_tolerable_closes_and_stays_closed_on_the_next_run(
    head, cadre_a, django_capture_on_commit_callbacks
):
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    (flag,) = Flag.objects.filter(cadre=cadre_a)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(head, MatterType.FLAG, flag)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED
    assert flag.close_reason == (
        f"经容错纠错认定为可容（2026-06-15，{head.get_username()}认定，认定编号 {decision.pk}），预警关闭"
    )
    summary = flags_evaluate()  # the rule still fires on the same facts
    assert summary["raised"] == summary["reopened"] == 0
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED
    assert Flag.objects.filter(cadre=cadre_a).count() == 1


def test_a_flag_decided_intolerable_stays_open(head, cadre_a, django_capture_on_commit_callbacks):
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    (flag,) = Flag.objects.filter(cadre=cadre_a)
    with django_capture_on_commit_callbacks(execute=True):
        decide(head, MatterType.FLAG, flag, verdict="intolerable", nature="violation")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_revoking_a_flags_decision_opens_it_again(head, cadre_a, django_capture_on_commit_callbacks):
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    (flag,) = Flag.objects.filter(cadre=cadre_a)
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(head, MatterType.FLAG, flag)
    with django_capture_on_commit_callbacks(execute=True):
        exemption_revoke(actor=head, exemption=decision, reason="认定错误")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_a_flag_decided_tolerable_closes_before_new_facts_raise_a_new_one(head, cadre_a):
    grade(cadre_a, 2025, "不称职")
    flags_evaluate()
    (flag,) = Flag.objects.filter(cadre=cadre_a)
    decide(head, MatterType.FLAG, flag)
    grade(cadre_a, 2026, "不称职")  # a later year: new facts
    flags_evaluate()
    flag.refresh_from_db()
    assert flag.status == FlagStatus.CLOSED and "预警关闭" in flag.close_reason
    (new,) = Flag.objects.filter(cadre=cadre_a, rule_key=flag.rule_key, status=FlagStatus.OPEN)
    assert new.anchor == "2026"


def test_a_decision_on_a_sanction_does_not_exempt_a_talk_with_the_same_id(head, cadre_a):
    # a decision on a sanction with the same id as a talk exempts nothing else
    yuetan = talk(cadre_a, "yuetan", "2026-02-10")
    talk(cadre_a, "yuetan", "2026-03-10")
    Sanction.objects.create(
        pk=yuetan.pk, cadre=cadre_a, kind="warning", decided_on=TODAY, reason="x", created_by=head
    )
    decide(head, MatterType.SANCTION, Sanction.objects.get(pk=yuetan.pk))
    flags_evaluate()
    assert Flag.objects.filter(cadre=cadre_a, status=FlagStatus.OPEN).count() == 1
    assert Interview.objects.count() == 2
