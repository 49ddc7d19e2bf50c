"""``interviews/`` and ``reminders/`` of the public API. PATCH either corrects descriptive fields
or, with ``status``, asks for the next step of the 约谈 workflow; a step out of order is a 409."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cadres import selectors as cadre_selectors
from core.api import Conflict, choice_param, error_response, int_param
from core.api_fields import LabelChoiceField

from .exemptions import decision_id, tolerated
from .models import (
    Attachment,
    FollowUp,
    Interview,
    InterviewKind,
    InterviewReason,
    InterviewStatus,
    MatterType,
    Reminder,
    ReminderKind,
    SubjectType,
)
from .selectors import interviews as selectors
from .services import interviews as services


class SupervisionPermission(permissions.BasePermission):
    message = "您的角色无权登记或办理谈话记录。"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return user.can("edit_registry") or user.can("approve")


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "stage", "uploaded_at"]


class InterviewSerializer(serializers.ModelSerializer):
    kind = LabelChoiceField(InterviewKind)
    subject_type = LabelChoiceField(SubjectType)
    status = LabelChoiceField(InterviewStatus, required=False)
    status_code = serializers.CharField(source="status", read_only=True)
    cadre = serializers.IntegerField(source="cadre_id", required=False, allow_null=True)
    cadre_name = serializers.CharField(
        source="cadre.name", read_only=True, default=None, allow_null=True, help_text="班子谈话为 null"
    )
    unit = serializers.IntegerField(source="unit_id", required=False)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    reasons = serializers.PrimaryKeyRelatedField(
        many=True, queryset=InterviewReason.objects.all(), required=False, help_text="约谈情形目录 id"
    )
    reason_texts = serializers.SerializerMethodField()
    follow_up = LabelChoiceField(FollowUp, required=False, allow_blank=True)
    report_overdue = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    exempted = serializers.BooleanField(
        read_only=True,
        help_text="只读：所涉事项经容错纠错认定为可容（不再限制等次、不计入预警）。认定须由部长通过 exemptions/ 作出",
    )
    exemption = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="只读：对该事项的容错纠错认定 id（可容或不容），无则为 null",
    )
    # write-only inputs of the workflow steps
    approve_note = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Interview
        fields = [
            "id",
            "kind",
            "subject_type",
            "cadre",
            "cadre_name",
            "unit",
            "unit_name",
            "reasons",
            "reason_texts",
            "reason_detail",
            "status",
            "status_code",
            "proposed_at",
            "proposed_on",
            "approved_at",
            "approved_on",
            "approval_note",
            "notice_sent_on",
            "scheduled_for",
            "conducted_on",
            "location",
            "interviewers",
            "record",
            "main_leader_informed_on",
            "team_meeting_on",
            "team_meeting_report",
            "report_due",
            "report_received_on",
            "report_summary",
            "report_overdue",
            "reviewed_on",
            "review_note",
            "follow_up",
            "exempted",
            "exemption",
            "attachments",
            "approve_note",
        ]
        read_only_fields = ["id", "proposed_at", "approved_at", "report_due", "attachments"]

    def get_reason_texts(self, obj) -> list[str]:
        return [r.text for r in obj.reasons.all()]

    def get_report_overdue(self, obj) -> bool:
        from django.utils import timezone

        return bool(
            obj.status == InterviewStatus.CONDUCTED
            and obj.report_due
            and obj.report_due < timezone.localdate()
        )


def _api_errors(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        raise ValidationError(exc.message_dict)
    raise ValidationError({"non_field_errors": exc.messages})


def _refuse_exemption_fields(data) -> None:
    """容错纠错 has one door: a head's decision through ``exemptions/``, never a field here."""
    fields = [f for f in ("exempted", "exemption", "exemption_note") if hasattr(data, "keys") and f in data]
    if fields:
        message = "容错纠错须由部长（分管负责人）通过 exemptions/ 作出认定，不能在谈话记录中修改。"
        raise ValidationError(dict.fromkeys(fields, message))


def _with_decision(qs):
    return qs.annotate(
        exempted=Exists(tolerated(MatterType.INTERVIEW).filter(matter_id=OuterRef("pk"))),
        exemption=decision_id(MatterType.INTERVIEW),
    )


INTERVIEW_FILTERS = [
    OpenApiParameter("kind", str, description="类别（名称或代码）"),
    OpenApiParameter("status", str, description="状态（名称或代码）"),
    OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
    OpenApiParameter("cadre", int, description="干部 id"),
    OpenApiParameter("overdue", bool, description="只看整改报告已逾期的约谈"),
]

STEP_FIELDS = {
    "proposed_on",
    "approved_on",
    "reviewed_on",
    "notice_sent_on",
    "scheduled_for",
    "conducted_on",
    "main_leader_informed_on",
    "team_meeting_on",
    "team_meeting_report",
    "report_received_on",
    "follow_up",
    "approve_note",
    "approval_note",
}


@extend_schema_view(
    list=extend_schema(summary="谈话、约谈、函询、诫勉记录", parameters=INTERVIEW_FILTERS),
    retrieve=extend_schema(summary="记录详情"),
    create=extend_schema(
        summary="登记谈话或提议约谈（约谈进入审批流程）",
        description="提议约谈时可带 `proposed_on`（提议日期，默认当天）。",
    ),
    partial_update=extend_schema(
        summary="修改记录或推进约谈流程",
        description=(
            "带 `status` 时办理约谈的下一环节：approved/rejected（部长审批，`approved_on`、`approval_note`）、"
            "notified（`notice_sent_on`）、conducted（`conducted_on`、`interviewers`、`record`）、report_received"
            "（`report_received_on`、`report_summary`）、improved/not_improved（`reviewed_on`、`review_note`，"
            "不到位时`follow_up`）。只带 `main_leader_informed_on` 或 `team_meeting_on`+`team_meeting_report` 时"
            "登记约谈后续。各环节日期选填，默认为当天（北京时间）；不能晚于当天，也不能早于前一环节的日期"
            "（提议 ≤ 审批 ≤ 预告 ≤ 约谈 ≤ 通报/班子会议 ≤ 整改报告 ≤ 评估），否则返回 400 并说明两个日期。"
            "环节顺序不对返回 409。"
        ),
    ),
)
class InterviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InterviewSerializer
    permission_classes = [SupervisionPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return _with_decision(
                selectors.interviews_visible_to(user)
                .select_related("unit", "cadre")
                .prefetch_related("reasons", "attachments")
            )
        p = self.request.query_params
        filters = {}
        for param, enum in (("kind", InterviewKind), ("status", InterviewStatus)):
            if p.get(param):
                filters[param] = choice_param(enum, p[param], param)
        if p.get("unit"):
            unit = cadre_selectors.units_visible_to(user).filter(pk=int_param(p["unit"], "unit")).first()
            if unit is None:
                return Interview.objects.none()
            filters["unit"] = unit
        if p.get("cadre"):
            filters["cadre_id"] = int_param(p["cadre"], "cadre")
        if p.get("overdue") in ("1", "true", "True"):
            filters["overdue"] = True
        return _with_decision(
            selectors.interview_list(user, **filters).prefetch_related("reasons", "attachments")
        )

    def _resolve_subject(self, data):
        user = self.request.user
        cadre = unit = None
        if data.get("cadre_id"):
            cadre = (
                cadre_selectors.cadres_visible_to(user)
                .select_related("unit")
                .filter(pk=data["cadre_id"])
                .first()
            )
            if cadre is None:
                raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
        if data.get("unit_id"):
            unit = cadre_selectors.units_visible_to(user).filter(pk=data["unit_id"]).first()
            if unit is None:
                raise ValidationError({"unit": "单位不存在或不在您的管辖范围内。"})
        return cadre, unit

    def create(self, request, *args, **kwargs):
        _refuse_exemption_fields(request.data)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        cadre, unit = self._resolve_subject(v)
        common = {
            "actor": request.user,
            "subject_type": v["subject_type"],
            "cadre": cadre,
            "unit": unit,
            "reasons": v.get("reasons", []),
            "reason_detail": v.get("reason_detail", ""),
        }
        try:
            if v["kind"] == InterviewKind.YUETAN:
                interview = services.yuetan_propose(proposed_on=v.get("proposed_on"), **common)
            else:
                interview = services.interview_record(
                    kind=v["kind"],
                    conducted_on=v.get("conducted_on"),
                    location=v.get("location", ""),
                    interviewers=v.get("interviewers", ""),
                    record=v.get("record", ""),
                    **common,
                )
        except DjangoValidationError as exc:
            _api_errors(exc)
        return Response(self.get_serializer(self.get_queryset().get(pk=interview.pk)).data, status=201)

    def partial_update(self, request, *args, **kwargs):
        interview = self.get_object()
        _refuse_exemption_fields(request.data)
        serializer = self.get_serializer(interview, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        try:
            if "status" in v:
                self._step(interview, v)
            elif {"main_leader_informed_on", "team_meeting_on"} & set(v):
                services.yuetan_record_aftermath(
                    actor=user,
                    interview=interview,
                    main_leader_informed_on=v.get("main_leader_informed_on"),
                    team_meeting_on=v.get("team_meeting_on"),
                    team_meeting_report=v.get("team_meeting_report", ""),
                )
            else:
                editable = {k: v[k] for k in services.EDITABLE_FIELDS if k in v}
                refused = set(v) - services.EDITABLE_FIELDS
                if refused:
                    raise ValidationError(dict.fromkeys(sorted(refused), "该字段只能通过流程环节修改。"))
                services.interview_update(actor=user, interview=interview, **editable)
        except services.StepRefused as exc:
            raise Conflict(exc.message) from None
        except DjangoValidationError as exc:
            _api_errors(exc)
        return Response(self.get_serializer(self.get_queryset().get(pk=interview.pk)).data)

    def _step(self, interview, v):
        user, target = self.request.user, v["status"]
        S = InterviewStatus
        if target in (S.APPROVED, S.REJECTED):
            services.yuetan_approve(
                actor=user,
                interview=interview,
                approve=target == S.APPROVED,
                note=v.get("approval_note") or v.get("approve_note", ""),
                approved_on=v.get("approved_on"),
            )
        elif target == S.NOTIFIED:
            services.yuetan_send_notice(
                actor=user,
                interview=interview,
                notice_sent_on=v.get("notice_sent_on"),
                scheduled_for=v.get("scheduled_for"),
            )
        elif target == S.CONDUCTED:
            services.yuetan_conduct(
                actor=user,
                interview=interview,
                conducted_on=v.get("conducted_on"),
                location=v.get("location", ""),
                interviewers=v.get("interviewers", ""),
                record=v.get("record", ""),
            )
        elif target == S.REPORT_RECEIVED:
            services.yuetan_receive_report(
                actor=user,
                interview=interview,
                received_on=v.get("report_received_on"),
                summary=v.get("report_summary", ""),
            )
        elif target in (S.IMPROVED, S.NOT_IMPROVED):
            services.yuetan_review(
                actor=user,
                interview=interview,
                improved=target == S.IMPROVED,
                note=v.get("review_note", ""),
                follow_up=v.get("follow_up", ""),
                reviewed_on=v.get("reviewed_on"),
            )
        else:
            raise services.StepRefused(f"不能把状态直接改为“{S(target).label}”。")

    @extend_schema(
        summary="上传附件（PDF 或图片）",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={201: AttachmentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        interview = self.get_object()
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "请选择要上传的文件（字段名 file）。"})
        try:
            attachment = services.attachment_add(
                actor=request.user, interview=interview, upload=upload, stage=request.data.get("stage", "")
            )
        except services.BadAttachment as exc:
            return error_response(exc.status, exc.message_dict["file"][0], fields=exc.message_dict)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class ReminderSerializer(serializers.ModelSerializer):
    kind = LabelChoiceField(ReminderKind)
    interview_subject = serializers.CharField(source="interview.subject_label", read_only=True)
    responsible = serializers.CharField(source="responsible.username", read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "interview",
            "interview_subject",
            "kind",
            "due_date",
            "responsible",
            "created_at",
            "resolved_at",
        ]


@extend_schema_view(
    list=extend_schema(
        summary="待办提醒（整改报告即将到期或已逾期）",
        parameters=[
            OpenApiParameter("mine", bool, description="只看本人负责的"),
            OpenApiParameter("open", bool, description="只看未处理的"),
        ],
    )
)
class ReminderViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReminderSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = selectors.reminders_visible_to(self.request.user)
        p = self.request.query_params
        if p.get("mine") in ("1", "true", "True"):
            qs = qs.filter(responsible=self.request.user)
        if p.get("open") in ("1", "true", "True"):
            qs = qs.filter(resolved_at__isnull=True)
        return qs.order_by("due_date", "id")
