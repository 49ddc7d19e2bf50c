"""``flags/`` (the 不适宜担任现职 review queue: dismiss, or decide on an adjustment) and
``adjustments/`` (proposed by staff, approved or rejected by a head), through recall.services_flags."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from cadres.models import Rank
from core.api_fields import LabelChoiceField

from .. import selectors, services_flags
from ..models import (
    AdjustmentDecision,
    AdjustmentMethod,
    DecisionStatus,
    Flag,
    FlagStatus,
)
from .common import (
    CadreIdNumberField,
    FactsField,
    FullIdNumbers,
    RecallPermission,
    cadre_in_scope,
    call_service,
    choice_param,
    text_field,
    unit_filter,
    user_name,
)


class AdjustmentSummarySerializer(serializers.ModelSerializer):
    method = LabelChoiceField(AdjustmentMethod)
    method_code = serializers.ChoiceField(source="method", choices=AdjustmentMethod.choices)
    status = LabelChoiceField(DecisionStatus)
    status_code = serializers.ChoiceField(source="status", choices=DecisionStatus.choices)

    class Meta:
        model = AdjustmentDecision
        fields = ["id", "method", "method_code", "status", "status_code", "proposed_on", "approved_on"]
        read_only_fields = fields


class FlagSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name")
    cadre_id_number = CadreIdNumberField()
    unit = serializers.IntegerField(source="unit_id", help_text="单位 id")
    unit_name = serializers.CharField(source="unit.name")
    facts = FactsField(help_text="规则读到的事实")
    status = LabelChoiceField(FlagStatus)
    status_code = serializers.ChoiceField(source="status", choices=FlagStatus.choices)
    waited_days = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Flag
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "cadre_id_number",
            "unit",
            "unit_name",
            "rule_key",
            "rule_name",
            "anchor",
            "facts",
            "status",
            "status_code",
            "raised_at",
            "waited_days",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
            "closed_at",
            "close_reason",
            "decision",
        ]
        read_only_fields = fields

    def get_waited_days(self, obj) -> int:
        """Days from the flag to its review (or its closing); an open flag is still waiting."""
        end = obj.reviewed_at or obj.closed_at or timezone.now()
        return max((timezone.localdate(end) - timezone.localdate(obj.raised_at)).days, 0)

    def get_reviewed_by(self, obj) -> str | None:
        return user_name(obj.reviewed_by)

    @extend_schema_field(AdjustmentSummarySerializer(allow_null=True))
    def get_decision(self, obj):
        """The latest adjustment decision proposed on this flag (prefetched, newest first)."""
        decisions = list(obj.decisions.all())
        return AdjustmentSummarySerializer(decisions[0]).data if decisions else None


FLAG_ACTIONS = {
    "dismiss": ("排除预警", {"reason"}),
    "decide": (
        "提出调整决定",
        {"reason", "method", "new_post_title", "new_rank", "effective_on", "step_back"},
    ),
}


class AdjustmentFieldsMixin(serializers.Serializer):
    method = LabelChoiceField(
        AdjustmentMethod,
        required=False,
        help_text="调整方式（名称或代码）：" + "、".join(AdjustmentMethod.values),
    )
    reason = text_field(help_text="理由（必填）")
    new_post_title = text_field(max_length=100, help_text="新任职务（平职调整、降职时必填）")
    new_rank = LabelChoiceField(Rank, required=False, allow_blank=True, help_text="新职级（降职时必填）")
    effective_on = serializers.DateField(required=False, allow_null=True, help_text="生效日期")
    step_back = serializers.BooleanField(required=False, help_text="退居二线")


class FlagActionSerializer(AdjustmentFieldsMixin):
    action = serializers.ChoiceField(
        choices=[(k, v[0]) for k, v in FLAG_ACTIONS.items()],
        help_text="dismiss 排除预警（须 reason）；decide 提出调整决定（须 method、reason），交部长审批",
    )
    reason = text_field(help_text="dismiss：排除理由；decide：调整理由（均必填）")

    def validate(self, attrs):
        label, allowed = FLAG_ACTIONS[attrs["action"]]
        stray = sorted(k for k in attrs if k != "action" and k not in allowed)
        if stray:
            raise ValidationError(dict.fromkeys(stray, f"该字段不属于“{label}”（{attrs['action']}）操作。"))
        return attrs


FLAG_FILTERS = [
    OpenApiParameter("status", str, description="状态（名称或代码）：" + "、".join(FlagStatus.values)),
    OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
    OpenApiParameter("rule", str, description="规则标识（rule_key）"),
]


@extend_schema_view(
    list=extend_schema(
        summary="不适宜担任现职预警",
        description="待研判的在前，等待最久的在前。",
        parameters=FLAG_FILTERS,
    ),
    retrieve=extend_schema(summary="预警详情（规则、事实、研判结果）"),
    partial_update=extend_schema(
        summary="研判预警：排除，或提出调整决定",
        description='`{"action": "dismiss", "reason"}` 排除；`{"action": "decide", "method", "reason", '
        '"new_post_title", "new_rank", "effective_on", "step_back"}` 提出调整决定（部长在 adjustments/ 审批）。'
        "预警已研判、或该干部已有待审批的调整决定时返回 409 `step_out_of_order`。",
        request=FlagActionSerializer,
        responses={200: FlagSerializer},
    ),
)
class FlagViewSet(
    FullIdNumbers,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = FlagSerializer
    permission_classes = [RecallPermission]
    filter_backends: list = []
    http_method_names = ["get", "patch", "head", "options"]
    where = "flags"

    def get_serializer_class(self):
        return FlagActionSerializer if self.action == "partial_update" else FlagSerializer

    def get_queryset(self):
        user = self.request.user
        p = self.request.query_params
        filters: dict = {}
        if self.action == "list":
            if p.get("status"):
                filters["status"] = choice_param(FlagStatus, p["status"], "status")
            if p.get("rule"):
                filters["rule"] = p["rule"].strip()
            unit = unit_filter(user, p)
            if unit is False:
                return Flag.objects.none()
            filters["unit"] = unit
        return selectors.flag_list(user, **filters).prefetch_related(
            Prefetch("decisions", queryset=AdjustmentDecision.objects.order_by("-id"))
        )

    def retrieve(self, request, *args, **kwargs):
        flag = self.get_object()
        self.record_view([flag], f"接口 {self.where}/ 详情")
        return Response(FlagSerializer(flag, context=self.get_serializer_context()).data)

    def partial_update(self, request, *args, **kwargs):
        flag = self.get_object()
        serializer = FlagActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        if v["action"] == "dismiss":
            call_service(
                services_flags.flag_dismiss, actor=request.user, flag=flag, reason=v.get("reason", "")
            )
        else:
            call_service(
                services_flags.adjustment_propose,
                actor=request.user,
                cadre=flag.cadre,
                flag=flag,
                **_adjustment_arguments(v),
            )
        flag = self.get_queryset().get(pk=flag.pk)
        self.record_view([flag], f"接口 {self.where}/ 研判")
        return Response(FlagSerializer(flag, context=self.get_serializer_context()).data)


def _adjustment_arguments(v) -> dict:
    return {
        "method": v.get("method", ""),
        "reason": v.get("reason", ""),
        "new_post_title": v.get("new_post_title", ""),
        "new_rank": v.get("new_rank", ""),
        "effective_on": v.get("effective_on"),
        "step_back": v.get("step_back", False),
    }


class AdjustmentSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name")
    cadre_id_number = CadreIdNumberField()
    unit = serializers.IntegerField(source="unit_id", help_text="单位 id")
    unit_name = serializers.CharField(source="unit.name")
    flag = serializers.IntegerField(source="flag_id", allow_null=True, help_text="来源预警 id")
    method = LabelChoiceField(AdjustmentMethod)
    method_code = serializers.ChoiceField(source="method", choices=AdjustmentMethod.choices)
    new_rank = LabelChoiceField(Rank, allow_blank=True)
    status = LabelChoiceField(DecisionStatus)
    status_code = serializers.ChoiceField(source="status", choices=DecisionStatus.choices)
    proposed_by = serializers.SerializerMethodField()
    approved_by = serializers.SerializerMethodField()

    class Meta:
        model = AdjustmentDecision
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "cadre_id_number",
            "unit",
            "unit_name",
            "flag",
            "method",
            "method_code",
            "step_back",
            "reason",
            "new_post_title",
            "new_rank",
            "effective_on",
            "status",
            "status_code",
            "proposed_by",
            "proposed_on",
            "approved_by",
            "approved_on",
            "approval_note",
        ]
        read_only_fields = fields

    def get_proposed_by(self, obj) -> str:
        return str(obj.proposed_by)

    def get_approved_by(self, obj) -> str | None:
        return user_name(obj.approved_by)


class AdjustmentProposeSerializer(AdjustmentFieldsMixin):
    cadre = serializers.IntegerField(help_text="干部 id")
    flag = serializers.IntegerField(required=False, allow_null=True, help_text="据以提出的预警 id（可选）")


ADJUSTMENT_ACTIONS = {"approve": "批准（部长）", "reject": "不予批准（部长，须 note）"}


class AdjustmentActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=list(ADJUSTMENT_ACTIONS.items()),
        help_text="approve 批准，干部名册随之更新；reject 不予批准（须 note）",
    )
    note = text_field(help_text="审批意见（不予批准时必填）")


@extend_schema_view(
    list=extend_schema(
        summary="调整决定（能上能下）",
        parameters=[
            OpenApiParameter(
                "status", str, description="状态（名称或代码）：" + "、".join(DecisionStatus.values)
            ),
            OpenApiParameter(
                "method", str, description="调整方式（名称或代码）：" + "、".join(AdjustmentMethod.values)
            ),
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
        ],
    ),
    retrieve=extend_schema(summary="调整决定详情"),
    create=extend_schema(
        summary="提出调整决定",
        description="交部长（分管负责人）审批；带 `flag` 时该预警随之记为已作出调整决定。"
        "该干部已有待审批的调整决定、或预警已研判时返回 409 `step_out_of_order`。",
        request=AdjustmentProposeSerializer,
        responses={201: AdjustmentSerializer},
    ),
    partial_update=extend_schema(
        summary="审批调整决定",
        description="只有部长（分管负责人）可以审批；已审批的再审批返回 409 `step_out_of_order`。",
        request=AdjustmentActionSerializer,
        responses={200: AdjustmentSerializer},
    ),
)
class AdjustmentViewSet(
    FullIdNumbers,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [RecallPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]
    where = "adjustments"

    def get_serializer_class(self):
        if self.action == "create":
            return AdjustmentProposeSerializer
        if self.action == "partial_update":
            return AdjustmentActionSerializer
        return AdjustmentSerializer

    def get_queryset(self):
        user = self.request.user
        p = self.request.query_params
        filters: dict = {}
        if self.action == "list":
            if p.get("status"):
                filters["status"] = choice_param(DecisionStatus, p["status"], "status")
            if p.get("method"):
                filters["method"] = choice_param(AdjustmentMethod, p["method"], "method")
            unit = unit_filter(user, p)
            if unit is False:
                return AdjustmentDecision.objects.none()
            filters["unit"] = unit
        return selectors.adjustment_list(user, **filters)

    def _detail(self, decision: AdjustmentDecision, code=status.HTTP_200_OK) -> Response:
        self.record_view([decision], f"接口 {self.where}/ 详情")
        return Response(
            AdjustmentSerializer(decision, context=self.get_serializer_context()).data, status=code
        )

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def create(self, request, *args, **kwargs):
        serializer = AdjustmentProposeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        cadre = cadre_in_scope(user, v["cadre"])
        flag = None
        if v.get("flag") is not None:
            flag = selectors.flags_visible_to(user).filter(pk=v["flag"]).first()
            if flag is None:
                raise ValidationError({"flag": "预警不存在或不在您的管辖范围内。"})
        decision = call_service(
            services_flags.adjustment_propose, actor=user, cadre=cadre, flag=flag, **_adjustment_arguments(v)
        )
        return self._detail(self.get_queryset().get(pk=decision.pk), status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        decision = self.get_object()
        serializer = AdjustmentActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        service = (
            services_flags.adjustment_approve
            if v["action"] == "approve"
            else services_flags.adjustment_reject
        )
        call_service(service, actor=request.user, decision=decision, note=v.get("note", ""))
        return self._detail(self.get_queryset().get(pk=decision.pk))
