"""复核申诉: recording an appeal within the deadline, a head's decision, and what a changed grade
does to the unit (the 优秀 places allocated again, one unit alone, both versions audited,
the flag and list jobs queued); the pages and the API."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.roles import Role
from assessment.models import (
    Appeal,
    AppealAttachment,
    AppealStatus,
    Assessment,
    PeriodStatus,
    PolicyRule,
    RuleKind,
    TeamAssessment,
    UnitQuota,
)
from assessment.services import appeals as services
from assessment.services.periods import period_create, period_transition
from assessment.services.scores import scores_save
from assessment.signals import grades_recomputed
from audit.models import AuditEntry
from cadres.services import team_member_add
from core.models import Job
from incentives.lists.tasks import JOB_KIND as LISTS_JOB
from recall.tasks import JOB_KIND as FLAGS_JOB
from supervision.services.interviews import BadAttachment
from tests.factories import CadreFactory, make_user
from tests.scope.conftest import token_client

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
# 甲镇: ten cadres, 20 % floor = 2 places: 99 and 98 are 优秀, the rest 称职
TOWN_A = [99, 98, 97, 96, 95, 94, 93, 92, 91, 80]
TOWN_B = [97, 85, 75]
PUBLISHED = "2026-01-20"


def scores(total) -> dict:
    return dict.fromkeys(CODES, total)


@pytest.fixture
def world(tree, users, clock, settings, tmp_path, django_capture_on_commit_callbacks):
    """The 2025 annual period published on 2026-01-20 (10:00 Beijing time): 甲镇 and 乙镇 graded,
    each with a leadership team; the jobs its publication queued are cleared."""
    settings.MEDIA_ROOT = tmp_path / "media"
    clock.set(PUBLISHED)
    a = {total: CadreFactory(unit=tree["town_a"], name=f"甲{total}") for total in TOWN_A}
    b = {total: CadreFactory(unit=tree["town_b"], name=f"乙{total}") for total in TOWN_B}
    city = users["city_staff"]
    for unit, members in ((tree["town_a"], a), (tree["town_b"], b)):
        first, second = list(members.values())[:2]
        team_member_add(actor=city, unit=unit, cadre=first, role_title="党委书记", is_main_leader=True)
        team_member_add(actor=city, unit=unit, cadre=second, role_title="镇长")
    head = make_user("city_head", Role.HEAD, tree["city"])
    with django_capture_on_commit_callbacks(execute=True):
        period = period_create(actor=city, name="2025年度考核", year=2025)
        period = period_transition(actor=city, period=period, to=PeriodStatus.COLLECTING)
        scores_save(
            actor=city,
            period=period,
            entries=[{"cadre": c, "scores": scores(t)} for group in (a, b) for t, c in group.items()],
        )
        period = period_transition(actor=city, period=period, to=PeriodStatus.GRADING)
        period = period_transition(actor=head, period=period, to=PeriodStatus.PUBLISHED)
    Job.objects.all().delete()

    def row(cadre):
        return Assessment.objects.get(period=period, cadre=cadre)

    return {"period": period, "a": a, "b": b, "row": row, "city_head": head}


def file(w, actor, total, *, on="2026-02-05", town="a", **kw) -> Appeal:
    return services.appeal_file(
        actor=actor,
        assessment=w["row"](w[town][total]),
        appellant=kw.pop("appellant", "本人"),
        filed_on=datetime.date.fromisoformat(on),
        grounds=kw.pop("grounds", "实绩材料漏报"),
        **kw,
    )


def grades(w, town="a") -> dict:
    return {t: w["row"](c).final_grade for t, c in w[town].items()}


def png(name="证明.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def gif(name="动图.gif") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="GIF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/gif")


def test_the_fixture_grades_two_excellent_in_the_town_of_ten(world):
    assert grades(world) == {
        99: "优秀",
        98: "优秀",
        **dict.fromkeys(TOWN_A[2:], "称职"),
    }
    assert UnitQuota.objects.get(period=world["period"], unit=world["a"][99].unit).places == 2


# ---------------------------------------------------------------- filing: the deadline


def test_an_appeal_filed_on_the_last_day_of_the_deadline_is_recorded(world, staff, clock):
    clock.set("2026-03-01")
    appeal = file(world, staff, 95, on="2026-02-19")
    assert (appeal.status, appeal.grade_before, appeal.filed_on) == (
        AppealStatus.PENDING,
        "称职",
        datetime.date(2026, 2, 19),
    )


def test_an_appeal_filed_the_day_after_the_deadline_is_refused_with_the_dates(world, staff, clock):
    clock.set("2026-03-01")
    with pytest.raises(ValidationError) as exc:
        file(world, staff, 95, on="2026-02-20")
    assert exc.value.message_dict["filed_on"] == [
        "申请已逾期：2025年度考核于 2026-01-20 公布，复核申请期限至 2026-02-19"
    ]
    assert not Appeal.objects.exists()


def test_the_deadline_counts_from_the_local_date_of_publication(world, staff, clock):
    # published at 00:30 Beijing time on 21 January: still the 20th in UTC
    published = datetime.datetime(2026, 1, 21, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    type(world["period"]).objects.filter(pk=world["period"].pk).update(published_at=published)
    clock.set("2026-03-01")
    assert file(world, staff, 95, on="2026-02-20").filed_on == datetime.date(2026, 2, 20)
    with pytest.raises(ValidationError, match="于 2026-01-21 公布，复核申请期限至 2026-02-20"):
        file(world, staff, 94, on="2026-02-21")
    with pytest.raises(ValidationError, match="不能早于考核结果公布日期（2026-01-21）"):
        file(world, staff, 93, on="2026-01-20")


def test_a_unit_rule_of_ten_days_shortens_the_deadline_for_that_unit_only(world, staff, users, clock, tree):
    PolicyRule.objects.create(unit=tree["town_a"], kind=RuleKind.APPEAL, params={"days": 10})
    clock.set("2026-03-01")
    assert file(world, staff, 95, on="2026-01-30")
    with pytest.raises(ValidationError, match="复核申请期限至 2026-01-30"):
        file(world, staff, 94, on="2026-01-31")
    assert file(world, users["city_staff"], 85, on="2026-02-19", town="b")


def test_a_filing_date_in_the_future_or_before_publication_is_refused(world, staff, clock):
    clock.set("2026-02-01")
    with pytest.raises(ValidationError) as exc:
        file(world, staff, 95, on="2026-02-02")
    assert exc.value.message_dict["filed_on"] == ["申请日期（2026-02-02）不能晚于今天（2026-02-01）。"]
    with pytest.raises(ValidationError) as exc:
        file(world, staff, 95, on="2026-01-19")
    assert exc.value.message_dict["filed_on"] == [
        "申请日期（2026-01-19）不能早于考核结果公布日期（2026-01-20）。"
    ]


def test_a_period_not_yet_published_refuses_appeals_pointing_at_the_adjustment(
    users, cadre_a, staff, annual_period, clock
):
    clock.set("2026-02-01")
    assessment = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    Assessment.objects.filter(pk=assessment.pk).update(final_grade="称职")
    with pytest.raises(
        ValidationError, match="尚未公布，不受理复核申请；评定阶段如需修改等次，请使用“调整等次”"
    ):
        services.appeal_file(
            actor=staff, assessment=assessment, appellant="张三", filed_on=clock.today, grounds="不服"
        )


def test_an_archived_period_refuses_appeals(world, staff, clock):
    type(world["period"]).objects.filter(pk=world["period"].pk).update(status=PeriodStatus.ARCHIVED)
    clock.set("2026-02-01")
    with pytest.raises(ValidationError, match="已归档，不再受理复核申请"):
        file(world, staff, 95, on="2026-02-01")


def test_a_result_outside_the_scope_is_refused_as_missing(world, staff, clock):
    clock.set("2026-02-10")
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        file(world, staff, 85, town="b")
    assert not Appeal.objects.exists()


def test_a_role_without_manage_assessment_cannot_record(world, users, clock):
    clock.set("2026-02-10")
    with pytest.raises(PermissionDenied):
        file(world, users[Role.AUDITOR], 95)


def test_a_second_pending_appeal_is_refused_until_the_first_is_decided(world, staff, head, clock):
    clock.set("2026-02-10")
    first = file(world, staff, 95, on="2026-02-05")
    with pytest.raises(ValidationError) as exc:
        file(world, staff, 95, on="2026-02-06")
    assert exc.value.message_dict["__all__"] == [
        "该考核结果已有一件待决定的复核申诉（2026-02-05 申请），决定后才能再次申请。"
    ]
    services.appeal_decide(actor=head, appeal=first, outcome="upheld", reason="理由不成立")
    assert file(world, staff, 95, on="2026-02-06").status == AppealStatus.PENDING


def test_missing_appellant_and_grounds_are_named(world, staff, clock):
    clock.set("2026-02-10")
    with pytest.raises(ValidationError) as exc:
        file(world, staff, 95, appellant=" ", grounds="")
    assert exc.value.message_dict == {"appellant": ["请填写申请人。"], "grounds": ["请填写申请复核的理由。"]}


# ---------------------------------------------------------------- filing: documents


def test_documents_are_kept_with_their_type_judged_from_the_content(world, staff, clock):
    clock.set("2026-02-10")
    pdf = SimpleUploadedFile("材料.html", b"%PDF-1.4\n%%EOF\n", content_type="text/html")
    appeal = file(world, staff, 95, files=[png(), pdf])
    stored = list(appeal.attachments.order_by("id").values_list("original_name", "content_type"))
    assert stored == [("证明.png", "image/png"), ("材料.pdf", "application/pdf")]
    assert AuditEntry.objects.filter(model="assessment.appealattachment").count() == 2


@pytest.mark.parametrize(
    ("upload", "status", "message"),
    [
        (gif, 415, "“动图.gif”不是PDF、JPG或PNG文件"),
        (
            lambda: SimpleUploadedFile("说明.pdf", b"plain text", content_type="application/pdf"),
            415,
            "不是PDF",
        ),
        (lambda: SimpleUploadedFile("空.pdf", b"", content_type="application/pdf"), 415, "“空.pdf”是空文件"),
    ],
)
def test_a_document_of_another_type_refuses_the_whole_appeal(world, staff, clock, upload, status, message):
    clock.set("2026-02-10")
    with pytest.raises(BadAttachment, match=message) as exc:
        file(world, staff, 95, files=[png(), upload()])
    assert exc.value.status == status
    assert not Appeal.objects.exists() and not AppealAttachment.objects.exists()


def test_a_document_over_the_size_limit_is_refused_at_the_limit_plus_one(world, staff, clock, settings):
    clock.set("2026-02-10")
    settings.SUPERVISION_ATTACHMENT_MAX_BYTES = 1024 * 1024
    exact = SimpleUploadedFile("整.pdf", b"%PDF-" + b"0" * (1024 * 1024 - 5), content_type="application/pdf")
    assert file(world, staff, 95, files=[exact]).attachments.count() == 1
    over = SimpleUploadedFile("大.pdf", b"%PDF-" + b"0" * (1024 * 1024 - 4), content_type="application/pdf")
    with pytest.raises(BadAttachment, match="“大.pdf”超过1MB") as exc:
        file(world, staff, 94, files=[over])
    assert exc.value.status == 413


# ---------------------------------------------------------------- deciding


def test_a_role_without_approve_cannot_decide(world, staff, clock):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    with pytest.raises(PermissionDenied, match="部长"):
        services.appeal_decide(actor=staff, appeal=appeal, outcome="changed", new_grade="优秀", reason="属实")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING and world["row"](world["a"][95]).appeal_grade == ""


def test_a_head_of_another_county_cannot_decide(world, staff, tree, clock):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    other = make_user("head_b", Role.HEAD, tree["county_b"])
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        services.appeal_decide(actor=other, appeal=appeal, outcome="upheld", reason="维持")


def test_upheld_changes_no_grade(world, staff, head, clock, django_capture_on_commit_callbacks):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    before = list(Assessment.objects.order_by("pk").values_list("pk", "final_grade", "updated_at"))
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_decide(
            actor=head, appeal=appeal, outcome="upheld", new_grade="优秀", reason="理由不成立"
        )
    appeal.refresh_from_db()
    assert (appeal.status, appeal.new_grade, appeal.decision_reason, appeal.decided_by) == (
        AppealStatus.UPHELD,
        "",
        "理由不成立",
        head,
    )
    assert list(Assessment.objects.order_by("pk").values_list("pk", "final_grade", "updated_at")) == before
    assert not AuditEntry.objects.filter(model="assessment.assessment", at__date="2026-02-10").exists()
    assert not Job.objects.exists()


def test_a_decided_appeal_cannot_be_decided_again(world, staff, head, clock):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    services.appeal_decide(actor=head, appeal=appeal, outcome="upheld", reason="理由不成立")
    with pytest.raises(services.AppealClosed, match="已于 2026-02-10 决定（维持原等次），不能再次决定"):
        services.appeal_decide(actor=head, appeal=appeal, outcome="changed", new_grade="优秀", reason="再议")


@pytest.mark.parametrize(
    ("outcome", "grade", "reason", "errors"),
    [
        (
            "changed",
            "",
            "属实",
            {"new_grade": ["请选择复核后的等次（优秀、称职、基本称职、不称职、不定等次）。"]},
        ),
        (
            "changed",
            "不参加考核",
            "属实",
            {"new_grade": ["请选择复核后的等次（优秀、称职、基本称职、不称职、不定等次）。"]},
        ),
        (
            "changed",
            "称职",
            "属实",
            {"new_grade": ["复核后等次与原等次（称职）相同；如不改变等次，请选择“维持原等次”。"]},
        ),
        ("changed", "优秀", "  ", {"decision_reason": ["请填写决定理由。"]}),
        ("withdrawn", "", "撤回", {"outcome": ["请选择决定：维持原等次或改变等次。"]}),
    ],
)
def test_a_decision_needs_an_outcome_a_new_grade_and_a_reason(
    world, staff, head, clock, outcome, grade, reason, errors
):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    with pytest.raises(ValidationError) as exc:
        services.appeal_decide(actor=head, appeal=appeal, outcome=outcome, new_grade=grade, reason=reason)
    assert exc.value.message_dict == errors
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING


@pytest.fixture
def stale_teams(world, tree):
    """Both towns' team results spoiled by hand, so a recomputation shows where it ran."""
    TeamAssessment.objects.filter(period=world["period"]).update(computed_grade="较差", final_grade="较差")


def test_changed_to_excellent_in_a_full_unit_takes_the_place_of_the_last_excellent(
    world, staff, head, clock, tree, stale_teams, django_capture_on_commit_callbacks
):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    other_town = {
        a.pk: a.updated_at for a in Assessment.objects.filter(period=world["period"], unit=tree["town_b"])
    }
    sent = []

    def listen(sender, **kwargs):
        sent.append(kwargs)

    grades_recomputed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.appeal_decide(
                actor=head, appeal=appeal, outcome="changed", new_grade="优秀", reason="实绩材料漏报属实"
            )
    finally:
        grades_recomputed.disconnect(listen)

    assert grades(world) == {
        99: "优秀",
        98: "称职",
        97: "称职",
        96: "称职",
        95: "优秀",
        **grades_from(world, 94),
    }
    appellant, dropped = world["row"](world["a"][95]), world["row"](world["a"][98])
    assert (appellant.appeal_grade, appellant.grade_code) == ("优秀", 1)
    assert (dropped.final_grade, dropped.grade_code) == ("称职", 2)
    assert any(e["rule"] == "复核决定" for e in appellant.explanation)
    quota = UnitQuota.objects.get(period=world["period"], unit=tree["town_a"])
    assert (quota.places, quota.fixed, quota.awarded) == (2, 1, 2)
    # the unit's team graded again; the other town's rows and team untouched
    assert TeamAssessment.objects.get(period=world["period"], unit=tree["town_a"]).final_grade == "优秀"
    assert TeamAssessment.objects.get(period=world["period"], unit=tree["town_b"]).final_grade == "较差"
    assert {
        a.pk: a.updated_at for a in Assessment.objects.filter(period=world["period"], unit=tree["town_b"])
    } == other_town
    # announced for the unit of a published period: the flag rules and the lists follow
    assert [(s["period_id"], s["unit_path"], s["status"]) for s in sent] == [
        (world["period"].pk, tree["town_a"].path, PeriodStatus.PUBLISHED)
    ]
    assert Job.objects.filter(kind=FLAGS_JOB).exists()
    assert Job.objects.get(kind=LISTS_JOB).params["unit"] == tree["town_a"].pk


def grades_from(world, top) -> dict:
    return {t: "称职" for t in TOWN_A if t <= top}


def test_changed_grades_leave_both_versions_in_the_audit_trail(world, staff, head, clock):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    services.appeal_decide(
        actor=head, appeal=appeal, outcome="changed", new_grade="优秀", reason="实绩材料漏报属实"
    )
    appellant, dropped = world["row"](world["a"][95]), world["row"](world["a"][98])
    entry = AuditEntry.objects.get(model="assessment.assessment", object_id=str(appellant.pk), actor=head)
    assert entry.reason == "复核决定改变等次（称职 → 优秀）：实绩材料漏报属实"
    assert entry.changes["final_grade"] == ["称职", "优秀"]
    assert entry.changes["appeal_grade"] == ["", "优秀"]
    assert entry.changes["grade_code"] == [2, 1]
    other = AuditEntry.objects.get(model="assessment.assessment", object_id=str(dropped.pk), actor=head)
    assert other.changes["final_grade"] == ["优秀", "称职"] and other.changes["grade_code"] == [1, 2]
    assert "甲95的复核申诉经决定改为优秀" in other.reason
    decision = AuditEntry.objects.get(model="assessment.appeal", object_id=str(appeal.pk), action="update")
    assert decision.changes["status"] == ["pending", "changed"]
    assert decision.reason == "复核决定（改变等次：称职 → 优秀）：实绩材料漏报属实"
    # nobody else in the unit moved, so nobody else has an entry
    assert AuditEntry.objects.filter(model="assessment.assessment", actor=head).count() == 2


def test_changed_from_excellent_frees_the_place_for_the_next_candidate(world, staff, head, clock, tree):
    clock.set("2026-02-10")
    appeal = file(world, staff, 99)
    services.appeal_decide(
        actor=head, appeal=appeal, outcome="changed", new_grade="称职", reason="群众反映属实"
    )
    assert grades(world) == {99: "称职", 98: "优秀", 97: "优秀", **grades_from(world, 96)}
    quota = UnitQuota.objects.get(period=world["period"], unit=tree["town_a"])
    assert (quota.fixed, quota.awarded) == (0, 2)


def test_the_consequences_shown_before_deciding_are_what_the_decision_does_and_nothing_is_written(
    world, staff, head, clock
):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    entries = AuditEntry.objects.count()
    stamps = list(Assessment.objects.order_by("pk").values_list("updated_at", flat=True))
    shown = services.appeal_consequences(appeal, "优秀")
    assert [(c.cadre_name, c.before, c.after, c.appellant) for c in shown] == [
        ("甲95", "称职", "优秀", True),
        ("甲98", "优秀", "称职", False),
    ]
    assert AuditEntry.objects.count() == entries
    assert list(Assessment.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    assert services.appeal_consequences(appeal, "基本称职") == [
        services.Consequence(world["row"](world["a"][95]).pk, "甲95", "称职", "基本称职", True)
    ]


# ---------------------------------------------------------------- pages


def page(client, user, url, data=None, **kw):
    client.force_login(user)
    return client.post(url, data, **kw) if data is not None else client.get(url)


def test_the_result_page_offers_the_record_button_with_the_deadline(client, world, staff, clock):
    clock.set("2026-02-19")
    body = page(
        client, staff, reverse("assessment:assessment_detail", args=[world["row"](world["a"][95]).pk])
    )
    text = body.content.decode()
    assert "复核申诉" in text and "复核申请期限至 2026-02-19" in text
    assert reverse("assessment:appeal_create", args=[world["row"](world["a"][95]).pk]) in text


def test_the_day_after_the_deadline_the_result_page_has_no_button_and_the_form_says_why(
    client, world, staff, clock
):
    clock.set("2026-02-20")
    pk = world["row"](world["a"][95]).pk
    text = page(client, staff, reverse("assessment:assessment_detail", args=[pk])).content.decode()
    assert reverse("assessment:appeal_create", args=[pk]) not in text
    assert "申请已逾期：2025年度考核于 2026-01-20 公布，复核申请期限至 2026-02-19" in text
    form = page(client, staff, reverse("assessment:appeal_create", args=[pk]))
    assert form.status_code == 200 and "申请已逾期" in form.content.decode()
    assert 'name="grounds"' not in form.content.decode()


def test_recording_an_appeal_on_its_page_with_a_document(client, world, staff, clock):
    clock.set("2026-02-10")
    pk = world["row"](world["a"][95]).pk
    response = page(
        client,
        staff,
        reverse("assessment:appeal_create", args=[pk]),
        {
            "appellant": "甲95",
            "filed_on": "2026-02-09",
            "grounds": "实绩漏报",
            "files": [png(), png("二.png")],
        },
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessment:appeal_detail", args=[appeal.pk]
    )
    assert appeal.attachments.count() == 2 and appeal.filed_on == datetime.date(2026, 2, 9)
    detail = page(client, staff, response["Location"]).content.decode()
    assert "证明.png" in detail and "二.png" in detail


def test_a_refused_appeal_keeps_the_input_and_says_why(client, world, staff, clock):
    clock.set("2026-03-01")
    pk = world["row"](world["a"][95]).pk
    response = page(
        client,
        staff,
        reverse("assessment:appeal_create", args=[pk]),
        {"appellant": "甲95", "filed_on": "2026-02-20", "grounds": "实绩漏报"},
    )
    # the page is closed after the deadline: nothing recorded, the reason shown
    assert response.status_code == 200 and "申请已逾期" in response.content.decode()
    clock.set("2026-02-18")
    response = page(
        client,
        staff,
        reverse("assessment:appeal_create", args=[pk]),
        {"appellant": "甲95", "filed_on": "2026-01-19", "grounds": "实绩漏报", "files": [gif()]},
    )
    text = response.content.decode()
    assert response.status_code == 200 and "不能早于考核结果公布日期（2026-01-20）" in text
    assert "实绩漏报" in text
    assert not Appeal.objects.exists()


def test_a_document_of_the_wrong_type_answers_415_on_the_page(client, world, staff, clock):
    clock.set("2026-02-10")
    pk = world["row"](world["a"][95]).pk
    response = page(
        client,
        staff,
        reverse("assessment:appeal_create", args=[pk]),
        {"appellant": "甲95", "filed_on": "2026-02-09", "grounds": "实绩漏报", "files": [gif()]},
    )
    assert response.status_code == 415 and "“动图.gif”不是PDF、JPG或PNG文件" in response.content.decode()


def test_the_head_sees_the_consequences_then_confirms_the_changed_grade(client, world, staff, head, clock):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    url = reverse("assessment:appeal_decide", args=[appeal.pk])
    data = {"outcome": "changed", "new_grade": "优秀", "decision_reason": "实绩材料漏报属实"}
    first = page(client, head, url, data)
    text = first.content.decode()
    assert first.status_code == 200 and "改为<strong>优秀</strong>后" in text
    assert "甲98" in text and "实绩材料漏报属实" in text
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
    second = page(client, head, url, {**data, "confirm": "优秀"})
    assert second.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.CHANGED and grades(world)[98] == "称职"


def test_the_detail_page_previews_a_grade_for_a_head_only(client, world, staff, head, clock):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    url = reverse("assessment:appeal_detail", args=[appeal.pk]) + "?grade=优秀"
    assert "甲98" in page(client, head, url).content.decode()
    as_staff = page(client, staff, url).content.decode()
    assert "甲98" not in as_staff and "待部长（分管负责人）决定" in as_staff


def test_the_list_puts_pending_appeals_first_and_filters(
    client, world, staff, head, clock, django_assert_num_queries
):
    clock.set("2026-02-10")
    decided = file(world, staff, 95, on="2026-02-09")
    services.appeal_decide(actor=head, appeal=decided, outcome="upheld", reason="理由不成立")
    file(world, staff, 80, on="2026-02-01")
    client.force_login(staff)
    url = reverse("assessment:appeals")
    # session, user, the user's unit (scope), count, the period and unit selects, the page
    with django_assert_num_queries(7):
        text = client.get(url).content.decode()
    assert text.index("甲80") < text.index("甲95")
    assert "甲80" not in client.get(url + "?status=upheld").content.decode()
    assert "甲95" in client.get(url + "?name=95").content.decode()


def test_the_profile_shows_the_old_and_new_grade(client, world, staff, head, clock):
    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    services.appeal_decide(actor=head, appeal=appeal, outcome="changed", new_grade="优秀", reason="属实")
    text = page(client, staff, reverse("cadres:detail", args=[world["a"][95].pk])).content.decode()
    assert 'id="appeals"' in text and "称职 → <span" in text
    assert "复核决定" in text  # the timeline entry


def test_a_head_has_the_pending_appeal_on_the_home_page(client, world, staff, head, clock):
    clock.set("2026-02-10")
    file(world, staff, 95)
    assert "复核申诉：甲95" in page(client, head, reverse("home")).content.decode()
    assert "复核申诉：甲95" not in page(client, staff, reverse("home")).content.decode()


# ---------------------------------------------------------------- API


def test_the_api_records_with_files_and_decides(world, staff, head, clock):
    clock.set("2026-02-10")
    pk = world["row"](world["a"][95]).pk
    response = token_client(staff).post(
        "/api/v1/appeals/",
        {"assessment": pk, "filed_on": "2026-02-09", "grounds": "实绩漏报", "files": [png(), png("二.png")]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["appellant"], body["grade_before"], body["status"], body["deadline"]) == (
        "甲95",
        "称职",
        "待决定",
        "2026-02-19",
    )
    assert [f["original_name"] for f in body["attachments"]] == ["证明.png", "二.png"]
    decided = token_client(head).patch(
        f"/api/v1/appeals/{body['id']}/",
        {"action": "decide", "outcome": "changed", "new_grade": "优秀", "reason": "属实"},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["status_code"] == "changed"
    assert decided.json()["current_grade"] == "优秀"
    again = token_client(head).patch(
        f"/api/v1/appeals/{body['id']}/",
        {"action": "decide", "outcome": "upheld", "reason": "再议"},
        format="json",
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"


def test_the_api_refuses_late_filings_wrong_files_and_other_roles(world, staff, head, users, clock):
    clock.set("2026-03-01")
    pk = world["row"](world["a"][95]).pk
    late = token_client(staff).post(
        "/api/v1/appeals/", {"assessment": pk, "filed_on": "2026-02-20", "grounds": "x"}, format="json"
    )
    assert late.status_code == 400
    assert late.json()["error"]["fields"]["filed_on"] == [
        "申请已逾期：2025年度考核于 2026-01-20 公布，复核申请期限至 2026-02-19"
    ]
    wrong = token_client(staff).post(
        "/api/v1/appeals/",
        {"assessment": pk, "filed_on": "2026-02-19", "grounds": "x", "files": [gif()]},
        format="multipart",
    )
    assert wrong.status_code == 415, wrong.json()
    assert "不是PDF" in wrong.json()["error"]["message"]
    outside = token_client(staff).post(
        "/api/v1/appeals/",
        {"assessment": world["row"](world["b"][85]).pk, "filed_on": "2026-02-19", "grounds": "x"},
        format="json",
    )
    assert outside.status_code == 400 and "assessment" in outside.json()["error"]["fields"]
    assert token_client(users[Role.AUDITOR]).post("/api/v1/appeals/", {}, format="json").status_code == 403
    appeal = file(world, staff, 95, on="2026-02-19")
    refused = token_client(staff).patch(
        f"/api/v1/appeals/{appeal.pk}/",
        {"action": "decide", "outcome": "upheld", "reason": "x"},
        format="json",
    )
    assert refused.status_code == 403
    assert not Appeal.objects.exclude(pk=appeal.pk).exists()


def test_the_api_list_is_scoped_and_filtered(world, staff, users, clock, django_assert_num_queries):
    clock.set("2026-02-10")
    mine = file(world, staff, 95)
    city = users["city_staff"]
    theirs = file(world, city, 85, town="b")
    client = token_client(staff)
    # token with its user and their unit (scope, one query), count, the page, its attachments, the policy
    # (read once for every row's deadline)
    with django_assert_num_queries(5):
        body = client.get("/api/v1/appeals/").json()
    assert [r["id"] for r in body["results"]] == [mine.pk]
    assert client.get(f"/api/v1/appeals/{theirs.pk}/").status_code == 404
    every = token_client(city)
    assert [r["id"] for r in every.get("/api/v1/appeals/?status=待决定").json()["results"]] == [
        theirs.pk,
        mine.pk,
    ]
    assert every.get(f"/api/v1/appeals/?assessment={mine.assessment_id}").json()["count"] == 1
    assert every.get("/api/v1/appeals/?status=changed").json()["count"] == 0
    assert every.get("/api/v1/appeals/?status=nonsense").status_code == 400


# ---------------------------------------------------------------- demo


def test_the_demo_has_a_pending_and_a_changed_appeal_and_a_second_run_adds_none(db):
    from django.core.management import call_command

    from assessment.demo_appeals import seed_appeals

    call_command("seed_demo", cadres=300, stdout=io.StringIO())
    changed = Appeal.objects.get(status=AppealStatus.CHANGED)
    pending = Appeal.objects.get(status=AppealStatus.PENDING)
    assert (changed.grade_before, changed.new_grade, changed.decided_by.username) == (
        "称职",
        "优秀",
        "zzb_head",
    )
    assert changed.filed_on == datetime.date(2026, 2, 5) and pending.grade_before == "基本称职"
    # filed after the demo's other 更正 (三挂钩 corrects two 基本称职 to 不称职): still what it was
    assert pending.assessment.final_grade == "基本称职"
    assessment = changed.assessment
    assert assessment.final_grade == "优秀"
    quota = UnitQuota.objects.get(period=assessment.period, unit=assessment.unit)
    assert quota.fixed == 1 and quota.awarded == quota.places
    # the place was taken from a cadre of the unit, whose change is audited
    assert AuditEntry.objects.filter(
        model="assessment.assessment",
        reason__contains="复核申诉经决定改为优秀",
        changes__final_grade=["优秀", "称职"],
    ).exists()
    assert seed_appeals() == {}
    assert Appeal.objects.count() == 2


def test_a_correction_of_the_grade_after_a_decision_replaces_the_decided_grade(world, staff, head, clock):
    from assessment.services.scores import assessment_correct

    clock.set("2026-02-10")
    appeal = file(world, staff, 95)
    services.appeal_decide(actor=head, appeal=appeal, outcome="changed", new_grade="优秀", reason="属实")
    row = world["row"](world["a"][95])
    assert (row.appeal_grade, row.final_grade) == ("优秀", "优秀")
    assessment_correct(actor=staff, assessment=row, reason="复核材料有误，更正为基本称职", grade="基本称职")
    row.refresh_from_db()
    assert (row.appeal_grade, row.override_grade, row.final_grade, row.grade_code) == (
        "",
        "基本称职",
        "基本称职",
        3,
    )
    entry = AuditEntry.objects.filter(object_id=str(row.pk)).order_by("-id").first()
    assert "appeal_grade" in str(entry.changes)
    # a correction of scores only keeps the decision
    appeal = file(world, staff, 94, on="2026-02-09")
    services.appeal_decide(actor=head, appeal=appeal, outcome="changed", new_grade="优秀", reason="属实")
    other = world["row"](world["a"][94])
    assessment_correct(actor=staff, assessment=other, reason="民主测评录入有误", scores={"民主测评": 90})
    other.refresh_from_db()
    assert (other.appeal_grade, other.final_grade) == ("优秀", "优秀")


def test_a_change_to_the_grade_a_later_correction_already_gave_is_refused(world, staff, head, clock):
    from assessment.services.scores import assessment_correct

    clock.set("2026-02-10")
    appeal = file(world, staff, 93)
    assessment_correct(
        actor=staff, assessment=world["row"](world["a"][93]), reason="材料漏报", grade="基本称职"
    )
    with pytest.raises(ValidationError) as caught:
        services.appeal_decide(
            actor=head, appeal=appeal, outcome="changed", new_grade="基本称职", reason="属实"
        )
    assert caught.value.message_dict["new_grade"] == ["复核后等次与现最终等次（基本称职）相同，无需改变。"]
    appeal.refresh_from_db()
    assert appeal.status == "pending"
