"""``appeals/``: 复核申诉 of published annual grades. GET lists the appeals in the caller's
subtree (filters: period, status, assessment) and shows one; POST records one (multipart with
``files`` for the supporting documents, or JSON without them; ``manage_assessment``); PATCH
``{"action": "decide", "outcome", "new_grade", "reason"}`` decides it (a head's ``approve``).

An appeal outside the caller's subtree answers 404 as a missing one; a role without the
capability 403; an appeal decided already 409 ``already_decided``; a document too large 413,
not a PDF/JPEG/PNG 415; bad input 400 with the field and a Chinese message."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api import Conflict, choice_param, error_response
from core.api_fields import LabelChoiceField
from supervision.services.interviews import BadAttachment

from .models import Appeal, AppealAttachment, AppealStatus
from .selectors import assessments_visible_to
from .selectors_appeals import appeal_list
from .services import appeals as services
from .services.recompute import policy_resolver

MAX_ID = 2**31 - 1


class AppealPermission(permissions.BasePermission):
    """Every signed-in role reads (within scope); recording needs manage_assessment, deciding a
    head's approve (checked before the appeal is looked up)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "POST":
            self.message = "您的角色无权登记复核申诉。"
            return user.can("manage_assessment")
        self.message = "只有部长（分管负责人）可以对复核申诉作出决定。"
        return user.can("approve")


class AppealAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppealAttachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class AppealSerializer(serializers.ModelSerializer):
    assessment = serializers.IntegerField(source="assessment_id", help_text="考核结果 id")
    period = serializers.IntegerField(source="assessment.period_id", help_text="考核期 id")
    period_name = serializers.CharField(source="assessment.period.name")
    cadre = serializers.IntegerField(source="assessment.cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="assessment.cadre.name")
    unit = serializers.IntegerField(source="assessment.unit_id", help_text="考核单位 id")
    unit_name = serializers.CharField(source="assessment.unit.name")
    status = LabelChoiceField(AppealStatus)
    status_code = serializers.CharField(source="status")
    grade_before = serializers.CharField(help_text="申请时的最终等次")
    new_grade = serializers.CharField(help_text="复核后等次（改变等次时）；其余为空")
    current_grade = serializers.CharField(source="assessment.final_grade", help_text="考核结果现在的最终等次")
    recorded_by = serializers.CharField(source="recorded_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    deadline = serializers.SerializerMethodField(
        help_text="复核申请期限的最后一天；评定规则未设期限时为 null"
    )
    attachments = AppealAttachmentSerializer(many=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "assessment",
            "period",
            "period_name",
            "cadre",
            "cadre_name",
            "unit",
            "unit_name",
            "appellant",
            "filed_on",
            "grounds",
            "grade_before",
            "current_grade",
            "status",
            "status_code",
            "new_grade",
            "decision_reason",
            "recorded_by",
            "recorded_at",
            "decided_by",
            "decided_at",
            "deadline",
            "attachments",
        ]
        read_only_fields = fields

    def get_deadline(self, obj) -> str | None:
        resolver = self.context.get("resolver")
        deadline = services.appeal_deadline(obj.assessment.period, obj.assessment.unit, resolver=resolver)
        return deadline.last_day.isoformat() if deadline and deadline.last_day else None


class AppealCreateJsonSerializer(serializers.Serializer):
    assessment = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="考核结果 id（已公布的年度考核）"
    )
    appellant = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="申请人，默认为干部本人"
    )
    filed_on = serializers.DateField(
        required=False, help_text="申请日期，默认为当天；须在公布日期至复核申请期限之间（含最后一天）"
    )
    grounds = serializers.CharField(max_length=4000, help_text="申请理由（必填）")


class AppealCreateSerializer(AppealCreateJsonSerializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=services.MAX_FILES,
        help_text=f"证明材料：PDF、JPEG 或 PNG（按文件内容判断），最多 {services.MAX_FILES} 个",
    )


class AppealDecideSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[("decide", "decide")], help_text="固定为 decide")
    outcome = serializers.ChoiceField(
        choices=[(AppealStatus.UPHELD, "维持原等次"), (AppealStatus.CHANGED, "改变等次")],
        help_text="upheld：维持原等次；changed：改变等次（须给出 new_grade）",
    )
    new_grade = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="复核后等次（改变等次时必填，且不同于原等次）：" + "、".join(services.DECISION_GRADES),
    )
    reason = serializers.CharField(max_length=4000, help_text="决定理由（必填）")


def _int(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "应为整数 id。"}) from None
    if not 0 < number <= MAX_ID:
        raise ValidationError({field: "超出范围。"})
    return number


def _call(service, **kwargs):
    """A service's refusals in the API's terms."""
    try:
        return service(**kwargs)
    except BadAttachment:
        raise  # 413 / 415, answered by the caller
    except services.AppealClosed as exc:
        raise Conflict(exc.messages[0], code="already_decided") from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from None
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            fields = {"decision_reason": "reason", "__all__": "non_field_errors"}
            raise ValidationError({fields.get(k, k): v for k, v in exc.message_dict.items()}) from None
        raise ValidationError({"non_field_errors": exc.messages}) from None


APPEAL_FILTERS = [
    OpenApiParameter("period", int, description="考核期 id"),
    OpenApiParameter("status", str, description="状态（名称或代码）：" + "、".join(AppealStatus.values)),
    OpenApiParameter("assessment", int, description="考核结果 id"),
]


@extend_schema_view(
    list=extend_schema(summary="复核申诉", parameters=APPEAL_FILTERS),
    retrieve=extend_schema(summary="复核申诉详情"),
    create=extend_schema(
        summary="登记复核申请",
        description=(
            "对已公布的年度考核等次登记复核申请（须 manage_assessment）。申请日期不能晚于今天、不能早于公布日期，"
            "并须在评定规则“复核申诉期限”规定的天数内（从公布日期起算，最后一天可申请），逾期返回 400 并说明期限。"
            "同一考核结果只能有一件待决定的申请。multipart 时可用 `files` 上传证明材料（可重复），"
            "超过大小限制返回 413，不是 PDF/JPEG/PNG 返回 415。"
        ),
        request={
            "multipart/form-data": AppealCreateSerializer,
            "application/json": AppealCreateJsonSerializer,
        },
        responses={201: AppealSerializer},
    ),
    partial_update=extend_schema(
        summary="对复核申诉作出决定（部长）",
        description=(
            "`action` 为 decide：`outcome` 为 upheld（维持原等次，不改变任何等次）或 changed（改为 `new_grade`）。"
            "改变等次时该等次成为最终等次，本单位立即重新评定：复核为优秀的先占用优秀名额，"
            "可能使本单位其他干部失去优秀；由优秀改为其他等次的让出名额。已决定的返回 409 `already_decided`。"
        ),
        request=AppealDecideSerializer,
        responses={200: AppealSerializer},
    ),
)
class AppealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AppealSerializer
    permission_classes = [AppealPermission]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        p = self.request.query_params
        filters: dict = {}
        if self.action == "list":
            if p.get("period"):
                filters["period"] = _int(p["period"], "period")
            if p.get("assessment"):
                filters["assessment"] = _int(p["assessment"], "assessment")
            if p.get("status"):
                filters["status"] = choice_param(AppealStatus, p["status"], "status")
        qs = appeal_list(user, **filters).select_related("recorded_by")
        return qs.prefetch_related(Prefetch("attachments", queryset=AppealAttachment.objects.order_by("id")))

    def get_serializer_context(self):
        # one read of the policy for every row's deadline
        return {**super().get_serializer_context(), "resolver": policy_resolver()}

    def _out(self, appeal) -> dict:
        return AppealSerializer(
            self.get_queryset().get(pk=appeal.pk), context=self.get_serializer_context()
        ).data

    def create(self, request, *args, **kwargs):
        serializer = AppealCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        assessment = (
            assessments_visible_to(request.user)
            .select_related("cadre", "period", "unit")
            .filter(pk=v["assessment"])
            .first()
        )
        if assessment is None:
            raise ValidationError({"assessment": "考核结果不存在或不在您的管辖范围内。"})
        try:
            appeal = _call(
                services.appeal_file,
                actor=request.user,
                assessment=assessment,
                appellant=v.get("appellant") or assessment.cadre.name,
                filed_on=v.get("filed_on") or timezone.localdate(),
                grounds=v["grounds"],
                files=v.get("files", []),
            )
        except BadAttachment as exc:
            message = exc.message_dict["file"][0]
            return error_response(exc.status, message, fields={"files": [message]})
        return Response(self._out(appeal), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        appeal = self.get_object()
        serializer = AppealDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        _call(
            services.appeal_decide,
            actor=request.user,
            appeal=appeal,
            outcome=v["outcome"],
            new_grade=v.get("new_grade", ""),
            reason=v["reason"],
        )
        return Response(self._out(appeal))


urlpatterns: list = []


def register(router) -> None:
    router.register("appeals", AppealViewSet, basename="appeal")
