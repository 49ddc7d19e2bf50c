"""The interview pages as organization-department staff use them: the list, the form, the 约谈
workflow step by step, attachments, and who may see or do what."""

import io
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from cadres.models import UnitKind
from supervision.models import Attachment, Interview, InterviewKind, InterviewReason, InterviewStatus
from supervision.selectors.interview_profile import profile_context
from supervision.services import interviews as svc
from tests.factories import CadreFactory, unit_child
from tests.supervision.conftest import days_ago

EDITORS = (Role.STAFF, Role.HEAD)
READ_ONLY = [r for r in Role.values if r not in EDITORS]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def login(client, user):
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


def detail_url(interview) -> str:
    return reverse("supervision:interview_detail", args=[interview.pk])


def step_url(interview, step) -> str:
    return reverse("supervision:interview_step", args=[interview.pk, step])


def refresh(interview) -> Interview:
    return Interview.objects.get(pk=interview.pk)


def record_talk(user, cadre, reason, **overrides) -> Interview:
    data = {
        "actor": user,
        "kind": InterviewKind.TALK,
        "subject_type": "cadre",
        "cadre": cadre,
        "reasons": [reason],
        "conducted_on": days_ago(3),
        "interviewers": "王科长",
        "record": "谈心谈话，了解思想和工作情况。",
    }
    data.update(overrides)
    return svc.interview_record(**data)


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str, content: bytes, content_type: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


# ---------------------------------------------------------------- the whole 约谈 through the pages


def test_a_cadre_yuetan_goes_through_every_step_on_the_pages_to_an_admonishment_proposal(
    client, users, cadre_a, leader_reason
):
    staff, head = users[Role.STAFF], users[Role.HEAD]
    login(client, staff)
    response = client.post(
        reverse("supervision:interview_new"),
        {
            "kind": "yuetan",
            "subject_type": "cadre",
            "cadre_query": "张三",
            "reasons": [leader_reason.pk],
            "proposed_on": days_ago(20).isoformat(),
        },
        follow=True,
    )
    page = html_of(response)
    assert "已提议约谈，待部长（分管负责人）审批。" in page
    interview = Interview.objects.get(cadre=cadre_a)
    assert interview.status == InterviewStatus.PROPOSED and interview.proposed_by == staff
    assert "正在等待部长（分管负责人）审批" in page
    assert "批准</button>" not in page

    login(client, head)
    assert "不予批准" in html_of(client.get(detail_url(interview)))
    client.post(
        step_url(interview, "approve"),
        {"decision": "approve", "approval_note": "同意约谈", "approved_on": days_ago(15).isoformat()},
    )
    assert refresh(interview).status == InterviewStatus.APPROVED
    assert (refresh(interview).proposed_on, refresh(interview).approved_on) == (days_ago(20), days_ago(15))

    login(client, staff)
    client.post(step_url(interview, "notice"), {"notice_sent_on": days_ago(12).isoformat()})
    assert refresh(interview).status == InterviewStatus.NOTIFIED
    client.post(
        step_url(interview, "conduct"),
        {
            "conducted_on": days_ago(10).isoformat(),
            "location": "组织部约谈室",
            "interviewers": "李部长",
            "record": "指出问题，提出整改要求。",
        },
    )
    interview = refresh(interview)
    assert interview.status == InterviewStatus.CONDUCTED
    due = days_ago(10) + relativedelta(months=1)
    assert interview.report_due == due
    page = html_of(client.get(detail_url(interview)))
    assert due.isoformat() in page and "下一步：登记约谈后续情况" in page and "通报主要负责人日期" in page

    client.post(step_url(interview, "aftermath"), {"main_leader_informed_on": days_ago(9).isoformat()})
    assert refresh(interview).main_leader_informed_on == days_ago(9)
    client.post(
        step_url(interview, "report"),
        {"report_received_on": days_ago(2).isoformat(), "report_summary": "已整改，形成书面报告。"},
    )
    assert refresh(interview).status == InterviewStatus.REPORT_RECEIVED
    response = client.post(
        step_url(interview, "review"),
        {
            "improved": "no",
            "review_note": "整改不实，问题依旧。",
            "follow_up": "admonish",
            "reviewed_on": days_ago(1).isoformat(),
        },
        follow=True,
    )
    interview = refresh(interview)
    assert interview.status == InterviewStatus.NOT_IMPROVED and interview.follow_up == "admonish"
    assert interview.reviewed_on == days_ago(1)
    page = html_of(response)
    assert "已完成整改评估：已评估：整改不到位" in page and "建议诫勉" in page
    assert "下一步" not in page  # the workflow is over: no more step forms


def test_a_team_yuetan_goes_through_every_step_with_a_team_meeting(client, users, tree, team_reason):
    staff, head = users[Role.STAFF], users[Role.HEAD]
    login(client, staff)
    client.post(
        reverse("supervision:interview_new"),
        {
            "kind": "yuetan",
            "subject_type": "team",
            "unit": tree["town_a"].pk,
            "reasons": [team_reason.pk],
            "proposed_on": days_ago(20).isoformat(),
        },
    )
    interview = Interview.objects.get(subject_type="team")
    assert interview.unit == tree["town_a"] and interview.cadre is None
    assert "甲镇领导班子" in html_of(client.get(reverse("supervision:interviews")))

    login(client, head).post(
        step_url(interview, "approve"), {"decision": "approve", "approved_on": days_ago(15).isoformat()}
    )
    login(client, staff)
    client.post(step_url(interview, "notice"), {"notice_sent_on": days_ago(12).isoformat()})
    client.post(
        step_url(interview, "conduct"),
        {
            "conducted_on": days_ago(10).isoformat(),
            "interviewers": "李部长",
            "record": "约谈班子，指出问题。",
        },
    )
    page = html_of(client.get(detail_url(interview)))
    assert "班子会议日期" in page and "班子会议情况" in page and "通报主要负责人日期" not in page

    response = client.post(step_url(interview, "aftermath"), {"team_meeting_on": days_ago(8).isoformat()})
    assert "请填写班子会议通报约谈情况" in html_of(response)  # the service's message next to the field
    client.post(
        step_url(interview, "aftermath"),
        {"team_meeting_on": days_ago(8).isoformat(), "team_meeting_report": "召开班子会，议定整改措施5条。"},
    )
    client.post(
        step_url(interview, "report"),
        {"report_received_on": days_ago(1).isoformat(), "report_summary": "整改报告"},
    )
    client.post(
        step_url(interview, "review"),
        {"improved": "no", "review_note": "未见明显改进", "follow_up": "organizational"},
    )
    interview = refresh(interview)
    assert interview.status == InterviewStatus.NOT_IMPROVED
    assert interview.team_meeting_report == "召开班子会，议定整改措施5条。"
    assert interview.follow_up == "organizational"


def test_staff_cannot_approve_a_proposal(client, users, walk, cadre_a, leader_reason):
    interview = walk["propose_cadre"](cadre_a, leader_reason)
    response = login(client, users[Role.STAFF]).post(step_url(interview, "approve"), {"decision": "approve"})
    assert response.status_code == 403
    assert refresh(interview).status == InterviewStatus.PROPOSED


def test_a_step_out_of_order_is_refused_with_the_reason_and_changes_nothing(
    client, users, walk, cadre_a, leader_reason
):
    interview = walk["propose_cadre"](cadre_a, leader_reason)
    response = login(client, users[Role.STAFF]).post(
        step_url(interview, "conduct"),
        {"conducted_on": days_ago(1).isoformat(), "interviewers": "李部长", "record": "伪造的约谈记录"},
    )
    assert response.status_code == 409
    assert "当前状态为“已提议”，不能登记约谈情况：须先经部长（分管负责人）审批。" in html_of(response)
    unchanged = refresh(interview)
    assert unchanged.status == InterviewStatus.PROPOSED
    assert unchanged.conducted_on is None and unchanged.record == ""


def test_a_report_cannot_be_registered_before_the_main_leader_is_informed(
    client, users, walk, cadre_a, leader_reason
):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=5)
    response = login(client, users[Role.STAFF]).post(
        step_url(interview, "report"),
        {"report_received_on": days_ago(1).isoformat(), "report_summary": "报告"},
    )
    assert "须先登记已向所在单位主要负责人通报约谈情况" in html_of(response)
    assert refresh(interview).report_received_on is None


def test_a_rejection_needs_a_reason_shown_next_to_the_field(client, users, walk, cadre_a, leader_reason):
    interview = walk["propose_cadre"](cadre_a, leader_reason)
    response = login(client, users[Role.HEAD]).post(step_url(interview, "approve"), {"decision": "reject"})
    assert "不予批准时请写明理由。" in html_of(response)
    assert refresh(interview).status == InterviewStatus.PROPOSED


def test_an_overdue_report_shows_a_red_badge_on_the_list_and_the_detail(
    client, users, walk, cadre_a, leader_reason
):
    interview = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=40)
    overdue_days = (days_ago(0) - interview.report_due).days
    assert overdue_days > 0
    login(client, users[Role.STAFF])
    assert f"已逾期{overdue_days}天" in html_of(client.get(reverse("supervision:interviews")))
    page = html_of(client.get(detail_url(interview)))
    assert f"已逾期{overdue_days}天" in page
    # overdue without a report: may be judged not improved directly
    assert "整改不到位（逾期未提交整改报告）" in page


def test_the_overdue_filter_lists_only_reports_past_due(client, users, walk, cadre_a, leader_reason, tree):
    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=40)
    other = CadreFactory(unit=tree["town_a"], name="王按期")
    walk["to_conducted"](walk["propose_cadre"](other, leader_reason), conducted_ago=5)
    page = html_of(login(client, users[Role.STAFF]).get(reverse("supervision:interviews") + "?overdue=on"))
    assert "张三" in page and "王按期" not in page


# ---------------------------------------------------------------- the form


def test_recording_a_talk_saves_it_at_once(client, users, cadre_a, leader_reason):
    response = login(client, users[Role.STAFF]).post(
        reverse("supervision:interview_new"),
        {
            "kind": "reminder",
            "subject_type": "cadre",
            "cadre_query": "张三",
            "reasons": [leader_reason.pk],
            "conducted_on": days_ago(1).isoformat(),
            "location": "组织部",
            "interviewers": "王科长",
            "record": "提醒注意工作方法。",
        },
        follow=True,
    )
    interview = Interview.objects.get(cadre=cadre_a)
    assert interview.kind == InterviewKind.REMINDER and interview.status == InterviewStatus.RECORDED
    assert list(interview.reasons.all()) == [leader_reason]
    assert "已登记提醒谈话。" in html_of(response)


def test_the_services_messages_appear_next_to_the_fields(client, users, cadre_a):
    response = login(client, users[Role.STAFF]).post(
        reverse("supervision:interview_new"), {"kind": "talk", "subject_type": "cadre", "cadre_query": "张三"}
    )
    page = html_of(response)
    assert "请填写谈话日期。" in page
    assert Interview.objects.count() == 0


def test_a_yuetan_without_a_reason_is_refused(client, users, cadre_a):
    response = login(client, users[Role.STAFF]).post(
        reverse("supervision:interview_new"),
        {"kind": "yuetan", "subject_type": "cadre", "cadre_query": "张三"},
    )
    assert "约谈须选择至少一项约谈情形。" in html_of(response)
    assert Interview.objects.count() == 0


def test_a_cadre_can_be_found_by_id_number(client, users, cadre_a, leader_reason):
    login(client, users[Role.STAFF]).post(
        reverse("supervision:interview_new"),
        {
            "kind": "yuetan",
            "subject_type": "cadre",
            "cadre_query": cadre_a.id_number,
            "reasons": [leader_reason.pk],
        },
    )
    assert Interview.objects.get().cadre == cadre_a


def test_namesakes_are_offered_as_a_choice(client, users, tree, cadre_a, leader_reason):
    namesake = CadreFactory(unit=tree["county_a"], name="张三", post_title="科员")
    login(client, users[Role.STAFF])
    data = {"kind": "yuetan", "subject_type": "cadre", "cadre_query": "张三", "reasons": [leader_reason.pk]}
    page = html_of(client.post(reverse("supervision:interview_new"), data))
    assert "有2名干部名为“张三”，请在下方选择一位。" in page
    assert f'value="{namesake.pk}"' in page and Interview.objects.count() == 0
    client.post(reverse("supervision:interview_new"), {**data, "cadre": namesake.pk})
    assert Interview.objects.get().cadre == namesake


def test_a_cadre_outside_the_users_county_is_not_found(client, users, cadre_b, leader_reason):
    page = html_of(
        login(client, users[Role.STAFF]).post(
            reverse("supervision:interview_new"),
            {"kind": "yuetan", "subject_type": "cadre", "cadre_query": "李四", "reasons": [leader_reason.pk]},
        )
    )
    assert "在您的管辖范围内没有找到“李四”" in page
    assert Interview.objects.count() == 0


def test_the_form_is_prefilled_from_the_cadre_profile_link(client, users, cadre_a):
    page = html_of(
        login(client, users[Role.STAFF]).get(
            reverse("supervision:interview_new") + f"?kind=yuetan&cadre={cadre_a.pk}"
        )
    )
    assert "已选择：张三" in page
    assert re.search(r'<input type="radio" name="kind" value="yuetan"[^>]*checked', page)
    assert f'name="cadre" value="{cadre_a.pk}"' in page


def test_the_reasons_are_grouped_by_audience(client, users):
    page = html_of(login(client, users[Role.STAFF]).get(reverse("supervision:interview_new")))
    for heading in (
        "领导班子情形",
        "领导干部情形",
        "党委（党组）主要负责人另有情形",
        "行政主要负责人另有情形",
    ):
        assert heading in page
    assert page.count('name="reasons"') == InterviewReason.objects.filter(active=True).count()


def test_a_reason_for_teams_is_refused_for_a_cadre(client, users, cadre_a, team_reason):
    page = html_of(
        login(client, users[Role.STAFF]).post(
            reverse("supervision:interview_new"),
            {"kind": "yuetan", "subject_type": "cadre", "cadre_query": "张三", "reasons": [team_reason.pk]},
        )
    )
    assert "以下情形不适用于领导干部个人" in page


def test_editing_corrects_the_record_and_keeps_the_reason_in_the_trail(client, users, cadre_a, leader_reason):
    interview = record_talk(users[Role.STAFF], cadre_a, leader_reason)
    login(client, users[Role.STAFF]).post(
        reverse("supervision:interview_edit", args=[interview.pk]),
        {
            "reason_detail": "",
            "location": "组织部",
            "interviewers": "王科长",
            "record": "更正后的记录",
            "reason": "笔误",
        },
    )
    assert refresh(interview).record == "更正后的记录"
    page = html_of(client.get(detail_url(interview)))
    assert "更正后的记录" in page and "原因：笔误" in page


# ---------------------------------------------------------------- attachments


def test_a_small_pdf_and_a_png_are_accepted_and_listed(client, users, cadre_a, leader_reason):
    interview = record_talk(users[Role.STAFF], cadre_a, leader_reason)
    login(client, users[Role.STAFF])
    url = reverse("supervision:attachment_upload", args=[interview.pk])
    client.post(url, {"file": upload("约谈记录.pdf", PDF_BYTES, "application/pdf"), "stage": "record"})
    response = client.post(
        url, {"file": upload("现场照片.png", png_bytes(), "image/png"), "stage": "other"}, follow=True
    )
    assert {a.content_type for a in Attachment.objects.filter(interview=interview)} == {
        "application/pdf",
        "image/png",
    }
    page = html_of(response)
    assert "约谈记录.pdf" in page and "现场照片.png" in page and "/media/" not in page


def test_a_text_file_named_pdf_is_refused_with_the_reason(client, users, cadre_a, leader_reason):
    interview = record_talk(users[Role.STAFF], cadre_a, leader_reason)
    response = login(client, users[Role.STAFF]).post(
        reverse("supervision:attachment_upload", args=[interview.pk]),
        {"file": upload("报告.pdf", "这是一个文本文件".encode(), "application/pdf")},
    )
    assert response.status_code == 415
    assert "附件只能是PDF文件或图片" in html_of(response)
    assert not Attachment.objects.exists()


def test_an_oversize_file_is_refused_with_the_limit(client, users, cadre_a, leader_reason, settings):
    settings.SUPERVISION_ATTACHMENT_MAX_BYTES = 64
    interview = record_talk(users[Role.STAFF], cadre_a, leader_reason)
    response = login(client, users[Role.STAFF]).post(
        reverse("supervision:attachment_upload", args=[interview.pk]),
        {"file": upload("大文件.pdf", PDF_BYTES + b"0" * 200, "application/pdf")},
    )
    assert response.status_code == 413
    assert "附件不能超过" in html_of(response)
    assert not Attachment.objects.exists()


def test_a_download_is_an_attachment_with_the_stored_type(client, users, cadre_a, leader_reason):
    interview = record_talk(users[Role.STAFF], cadre_a, leader_reason)
    attachment = svc.attachment_add(
        actor=users[Role.STAFF], interview=interview, upload=upload("照片.png", png_bytes(), "image/png")
    )
    response = login(client, users[Role.AUDITOR]).get(
        reverse("supervision:attachment_download", args=[attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == png_bytes()


def test_a_download_outside_the_users_county_is_not_found(client, users, tree, cadre_b, leader_reason):
    interview = record_talk(users["city_staff"], cadre_b, leader_reason)
    attachment = svc.attachment_add(
        actor=users["city_staff"], interview=interview, upload=upload("a.pdf", PDF_BYTES, "application/pdf")
    )
    response = login(client, users[Role.STAFF]).get(
        reverse("supervision:attachment_download", args=[attachment.pk])
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_cannot_upload(client, users, cadre_a, leader_reason, role):
    interview = record_talk(users[Role.STAFF], cadre_a, leader_reason)
    response = login(client, users[role]).post(
        reverse("supervision:attachment_upload", args=[interview.pk]),
        {"file": upload("a.pdf", PDF_BYTES, "application/pdf")},
    )
    assert response.status_code == 403
    assert not Attachment.objects.exists()


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("role", Role.values)
def test_every_role_can_read_a_record_of_its_county(client, users, cadre_a, leader_reason, role):
    interview = record_talk(users[Role.STAFF], cadre_a, leader_reason)
    response = login(client, users[role]).get(detail_url(interview))
    assert response.status_code == 200
    assert "张三" in html_of(response)
    assert "张三" in html_of(client.get(reverse("supervision:interviews")))


@pytest.mark.parametrize("role", Role.values)
def test_no_role_can_open_a_record_of_another_county(client, users, cadre_b, leader_reason, role):
    interview = record_talk(users["city_staff"], cadre_b, leader_reason)
    login(client, users[role])
    assert client.get(detail_url(interview)).status_code == 404
    assert (
        client.post(step_url(interview, "notice"), {"notice_sent_on": days_ago(1).isoformat()}).status_code
        == 404
    )
    assert "李四" not in html_of(client.get(reverse("supervision:interviews")))


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_see_no_write_buttons_and_cannot_post_a_step(
    client, users, walk, cadre_a, leader_reason, role
):
    interview = walk["propose_cadre"](cadre_a, leader_reason)
    walk["to_conducted"](interview, conducted_ago=5)
    login(client, users[role])
    list_page = html_of(client.get(reverse("supervision:interviews")))
    assert "登记谈话" not in list_page and "提议约谈" not in list_page
    page = html_of(client.get(detail_url(interview)))
    assert "下一步" not in page and "上传附件" not in page and "更正文字内容" not in page
    response = client.post(
        step_url(interview, "aftermath"), {"main_leader_informed_on": days_ago(1).isoformat()}
    )
    assert response.status_code == 403
    assert refresh(interview).main_leader_informed_on is None
    assert client.get(reverse("supervision:interview_new")).status_code == 403


@pytest.mark.parametrize("role", EDITORS)
def test_editors_see_the_buttons_to_record_and_propose(client, users, role):
    page = html_of(login(client, users[role]).get(reverse("supervision:interviews")))
    assert "登记谈话" in page and "提议约谈" in page


@pytest.mark.parametrize(
    ("role", "sees_trail"), [(r, r in {Role.STAFF, Role.HEAD, Role.AUDITOR}) for r in Role.values]
)
def test_the_audit_trail_of_the_record_is_shown_to_roles_that_read_it(
    client, users, walk, cadre_a, leader_reason, role, sees_trail
):
    interview = walk["propose_cadre"](cadre_a, leader_reason)
    svc.yuetan_approve(actor=users[Role.HEAD], interview=interview, note="同意")
    page = html_of(login(client, users[role]).get(detail_url(interview)))
    assert ("全程纪实" in page) is sees_trail
    if sees_trail:
        assert "审批意见" in page and "head_a" in page


# ---------------------------------------------------------------- the list


def test_the_list_shows_the_subject_unit_first_reason_and_status(client, users, tree, cadre_a, leader_reason):
    record_talk(users[Role.STAFF], cadre_a, leader_reason)
    page = html_of(login(client, users[Role.STAFF]).get(reverse("supervision:interviews")))
    assert "谈心谈话" in page and "张三" in page and "甲镇" in page
    assert leader_reason.text in page and "已记录" in page


def test_the_list_filters_by_kind_and_unit_subtree(client, users, tree, cadre_a, leader_reason):
    other_town = unit_child(tree["county_a"], "C01A02", "丙镇", UnitKind.TOWNSHIP)
    other = CadreFactory(unit=other_town, name="赵六")
    record_talk(users[Role.STAFF], cadre_a, leader_reason)
    record_talk(users[Role.STAFF], other, leader_reason, kind=InterviewKind.INQUIRY)
    login(client, users[Role.STAFF])
    page = html_of(client.get(reverse("supervision:interviews") + f"?unit={tree['town_a'].pk}"))
    assert "张三" in page and "赵六" not in page
    page = html_of(client.get(reverse("supervision:interviews") + "?kind=inquiry"))
    assert "赵六" in page and "张三" not in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_records(
    client, users, tree, leader_reason, count, django_assert_num_queries
):
    staff = users[Role.STAFF]
    for cadre in CadreFactory.create_batch(count, unit=tree["town_a"]):
        record_talk(staff, cadre, leader_reason)
    client.force_login(staff)
    # session, user, user's unit (scope), units for the filter select, COUNT for the paginator,
    # the page of interviews with unit, cadre and proposer, their reasons (one prefetch)
    with django_assert_num_queries(7):
        response = client.get(reverse("supervision:interviews"))
    assert response.context["page"].paginator.count == count


# ---------------------------------------------------------------- the card on the cadre profile


def test_the_profile_card_lists_the_cadres_talks_newest_first_with_the_overdue_badge(
    rf, users, walk, cadre_a, leader_reason
):
    staff = users[Role.STAFF]
    record_talk(staff, cadre_a, leader_reason, conducted_on=days_ago(60))
    yuetan = walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=40)
    context = profile_context(staff, cadre_a)
    assert [i.kind for i in context["cadre_interviews"]] == [InterviewKind.YUETAN, InterviewKind.TALK]
    html = render_to_string("supervision/interviews/_profile_section.html", context)
    assert f"已逾期{(days_ago(0) - yuetan.report_due).days}天" in html
    assert detail_url(yuetan) in html and f"?cadre={cadre_a.pk}" in html
    auditor_html = render_to_string(
        "supervision/interviews/_profile_section.html", profile_context(users[Role.AUDITOR], cadre_a)
    )
    assert "登记谈话" not in auditor_html


def test_the_cadre_is_found_by_an_id_number_typed_with_full_width_digits_and_spaces(client, users, cadre_a):
    import unicodedata

    typed = " ".join([cadre_a.id_number[:6], cadre_a.id_number[6:14], cadre_a.id_number[14:]])
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in typed)
    assert unicodedata.normalize("NFKC", full_width).replace(" ", "") == cadre_a.id_number
    client.force_login(users[Role.STAFF])
    response = client.post(
        "/supervision/new/",
        {
            "kind": "talk",
            "subject_type": "cadre",
            "cadre_query": full_width,
            "conducted_on": str(timezone.localdate()),
            "interviewers": "组织委员",
            "record": "谈心谈话",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Interview.objects.get().cadre == cadre_a
