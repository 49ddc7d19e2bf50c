"""``incentives/``: the 三挂钩 lists with their decisions. GET lists the entries in the caller's
subtree (one cadre on one list of one period: eligible or left out, the reasons, the bonus
figures, and the decision recorded on it); POST records a decision (granted / declined with a
reason) on an entry, or changes it, through ``incentives.services_decisions``.

A cadre outside the caller's subtree answers 404 as a missing one; a role without
``manage_incentives`` 403; a cadre not on that list, a missing reason or an unknown verdict 400
with the field and a Chinese message."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api_fields import LabelChoiceField
from recall.api.common import CadreIdNumberField, FullIdNumbers

from ..models import Decision, Entry, ListKind, Verdict
from ..selectors_decisions import attach_decisions, entry_rows
from ..services_decisions import decision_record
from .common import (
    IncentivesPermission,
    bool_param,
    cadre_in_scope,
    call_service,
    choice_param,
    int_param,
    period_of,
    unit_filter,
)

REASONS_SCHEMA = {
    "type": "array",
    "description": "名单依据：每条规则的结论和它读到的事实",
    "items": {
        "type": "object",
        "properties": {
            "rule": {"type": "string", "description": "规则（如 评先选优条件）"},
            "effect": {"type": "string", "description": "结论（如 不符合：年度考核为基本称职）"},
            "facts": {
                "type": "object",
                "additionalProperties": True,
                "description": "规则读到的事实（如 {年度考核: 基本称职}）",
            },
        },
        "additionalProperties": True,
    },
}


@extend_schema_field(REASONS_SCHEMA)
class ReasonsField(serializers.ReadOnlyField):
    pass


class DecisionSerializer(serializers.ModelSerializer):
    verdict = LabelChoiceField(Verdict, help_text="决定：同意 / 不同意")
    verdict_code = serializers.CharField(source="verdict", help_text="granted / declined")
    decided_by = serializers.SerializerMethodField(help_text="决定人")
    eligible_when_decided = serializers.SerializerMethodField(
        help_text="决定时该条目是否符合条件（名单重新计算后可能不同）"
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "verdict",
            "verdict_code",
            "reason",
            "amount",
            "decided_by",
            "decided_on",
            "eligible_when_decided",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"amount": {"help_text": "同意的绩效奖金金额（元）；其他名单或不同意为空"}}

    def get_decided_by(self, obj) -> str:
        return str(obj.decided_by)

    def get_eligible_when_decided(self, obj) -> bool | None:
        return (obj.snapshot or {}).get("eligible")


class EntrySerializer(serializers.ModelSerializer):
    period = serializers.IntegerField(source="period_id", help_text="考核期 id（已公布的年度考核）")
    period_name = serializers.CharField(source="period.name")
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name")
    cadre_id_number = CadreIdNumberField()
    unit = serializers.IntegerField(source="unit_id", help_text="考核单位 id")
    unit_name = serializers.CharField(source="unit.name")
    kind = LabelChoiceField(ListKind, help_text="名单：" + "、".join(ListKind.labels))
    kind_code = serializers.CharField(source="kind", help_text="名单代码：" + "、".join(ListKind.values))
    eligible = serializers.BooleanField(help_text="是否符合条件（false 为未列入，reasons 说明原因）")
    reasons = ReasonsField()
    decision = serializers.SerializerMethodField(help_text="组织部门的决定；未决定为 null")

    class Meta:
        model = Entry
        fields = [
            "id",
            "period",
            "period_name",
            "cadre",
            "cadre_name",
            "cadre_id_number",
            "unit",
            "unit_name",
            "kind",
            "kind_code",
            "eligible",
            "reasons",
            "score",
            "position",
            "coefficient",
            "base",
            "withheld",
            "amount",
            "due_date",
            "computed_at",
            "decision",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "score": {"help_text": "排序得分（加分条件）"},
            "position": {"help_text": "名单内排序，1 为第一"},
            "coefficient": {"help_text": "绩效奖金系数"},
            "base": {"help_text": "人均奖金基数（元）"},
            "withheld": {"help_text": "扣发（元）"},
            "amount": {"help_text": "绩效奖金 = 基数 × 系数 − 扣发（元，到分）"},
            "due_date": {"help_text": "职级晋升：任职年限满足之日"},
        }

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, obj):
        decision = getattr(obj, "decision", None)
        return DecisionSerializer(decision).data if decision is not None else None


class DecisionRecordSerializer(serializers.Serializer):
    period = serializers.IntegerField(help_text="考核期 id")
    cadre = serializers.IntegerField(help_text="干部 id（须在您的管辖范围内，否则 404）")
    kind = LabelChoiceField(ListKind, help_text="名单（名称或代码）：" + "、".join(ListKind.values))
    verdict = LabelChoiceField(Verdict, help_text="决定：granted（同意）或 declined（不同意）")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="理由（必填）；不符合条件而同意、符合条件而不同意的，须写明理由",
    )
    decided_on = serializers.DateField(required=False, allow_null=True, help_text="决定日期，不填为今天")


ENTRY_FILTERS = [
    OpenApiParameter("period", int, description="考核期 id"),
    OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
    OpenApiParameter("kind", str, description="名单（名称或代码）：" + "、".join(ListKind.values)),
    OpenApiParameter("eligible", bool, description="true 只看符合条件的，false 只看未列入的"),
    OpenApiParameter("cadre", int, description="干部 id"),
    OpenApiParameter("decided", bool, description="true 只看已决定的，false 只看未决定的"),
    OpenApiParameter("verdict", str, description="决定（名称或代码）：granted 同意、declined 不同意"),
]


@extend_schema_view(
    list=extend_schema(
        summary="“三挂钩”激励名单及决定",
        description="按已公布的年度考核结果计算的绩效奖金、评先选优、嘉奖、记三等功、优先使用、定向选拔、"
        "80后比选、职级晋升、降低职级名单：每条为一名干部在一个名单上，符合条件或未列入，附依据（规则、结论、事实）"
        "和组织部门的决定。较新的考核期在前；同一名单内符合条件的按排序在前。",
        parameters=ENTRY_FILTERS,
    ),
    create=extend_schema(
        summary="登记激励决定（同意 / 不同意）",
        description="对名单条目登记或改变决定（改变前后记入全程纪实）。干部不在管辖范围内返回 404；"
        "该干部不在该名单上、缺少理由或取值无效返回 400；无权办理的角色返回 403。新登记返回 201，改变已有决定返回 200。",
        request=DecisionRecordSerializer,
        responses={200: EntrySerializer, 201: EntrySerializer},
    ),
)
class IncentiveViewSet(
    FullIdNumbers, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = EntrySerializer
    permission_classes = [IncentivesPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]
    where = "incentives"

    def get_serializer_class(self):
        return DecisionRecordSerializer if self.action == "create" else EntrySerializer

    def get_queryset(self) -> QuerySet[Entry]:
        user = self.request.user
        p = self.request.query_params
        filters: dict = {}
        if p.get("period"):
            filters["period"] = period_of(p["period"])
        if p.get("kind"):
            filters["kind"] = choice_param(ListKind, p["kind"], "kind")
        if p.get("eligible"):
            filters["eligible"] = bool_param(p["eligible"], "eligible")
        if p.get("decided"):
            filters["decided"] = bool_param(p["decided"], "decided")
        if p.get("verdict"):
            filters["verdict"] = choice_param(Verdict, p["verdict"], "verdict")
        if p.get("cadre"):
            filters["cadre_id"] = int_param(p["cadre"], "cadre")
        unit = unit_filter(user, p)
        if unit is False:
            return Entry.objects.none()
        filters["unit"] = unit
        return entry_rows(user, **filters)

    def list(self, request, *args, **kwargs):
        page = attach_decisions(self.paginate_queryset(self.get_queryset()))
        self.record_view(page, f"接口 {self.where}/ 列表")
        return self.get_paginated_response(
            EntrySerializer(page, many=True, context=self.get_serializer_context()).data
        )

    def create(self, request, *args, **kwargs):
        serializer = DecisionRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        cadre = cadre_in_scope(user, v["cadre"])
        period = period_of(v["period"])
        existed = Decision.objects.filter(period=period, cadre=cadre, kind=v["kind"]).exists()
        call_service(
            decision_record,
            actor=user,
            period=period,
            cadre=cadre,
            kind=v["kind"],
            verdict=v["verdict"],
            reason=v.get("reason", ""),
            decided_on=v.get("decided_on"),
        )
        entry = attach_decisions([entry_rows(user, period=period, kind=v["kind"], cadre_id=cadre.pk).get()])[
            0
        ]
        self.record_view([entry], f"接口 {self.where}/ 登记决定")
        return Response(
            EntrySerializer(entry, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


def register(router) -> None:
    router.register("incentives", IncentiveViewSet, basename="incentive")
