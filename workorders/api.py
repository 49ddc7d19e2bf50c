"""``work-orders/``, ``party-groups/`` and ``work-order-statistics/`` of the public API (民情工单).

Thin: reads go through ``workorders.selectors`` (scoped: an order outside the caller's subtree
is a 404 like a missing one), writes through ``workorders.services`` (one step each) and
``workorders.services_ledger`` (a paper ledger in one batch), the figures through
``workorders.statistics``. Every signed-in role reads; writing needs ``manage_workorders`` (403,
checked before the order is looked up). A step the order's status does not allow, or bad input,
is a 400 with the service's Chinese message and ``fields``. The resident's contact is masked
(``138****5678``) for roles that may not see ID numbers.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cadres import idnumber
from cadres.models import Unit
from cadres.selectors import cadres_visible_to, unit_label, units_visible_to
from core.api import bool_param, call_service, int_param, read_or_capability
from core.api_fields import LabelChoiceField, resolve_choice

from . import services, services_ledger
from .models import (
    OPEN_STATUSES,
    Cause,
    Channel,
    Dispatch,
    OrderStatus,
    OrderStep,
    PartyGroup,
    Rating,
    Step,
    WorkOrder,
)
from .selectors import visible_groups, visible_orders
from .statistics import order_statistics

WorkOrderPermission = read_or_capability("manage_workorders", "您的角色只能查阅民情工单，不能登记或办理。")


# ------------------------------------------------------------------ helpers


def _unit(user, value, field: str = "unit") -> Unit | None:
    """A unit of the caller's scope given by id or by code; None when there is no such unit in
    scope."""
    text = str(value).strip()
    if "\x00" in text:  # PostgreSQL refuses NUL in any string: no unit has one
        return None
    # ``label`` tells namesakes apart in the statistics' title, in the same query
    units = units_visible_to(user).annotate(label=unit_label())
    if text.isascii() and text.isdigit() and len(text) < 19:
        found = units.filter(Q(pk=int(text)) | Q(code=text)).order_by("-code").first()
    else:
        found = units.filter(code=text).first()
    return found


def _required_unit(user, value) -> Unit:
    if value in (None, ""):
        raise ValidationError({"unit": "请选择工单所属村（社区）（单位 id 或代码）。"})
    unit = _unit(user, value)
    if unit is None:
        raise ValidationError({"unit": "单位不存在或不在您的管辖范围内。"})
    return unit


def _group(user, value):
    if value in (None, ""):
        return None
    group = visible_groups(user).filter(pk=int_param(value, "party_group")).first()
    if group is None:
        raise ValidationError({"party_group": "党小组不存在或不在您的管辖范围内。"})
    return group


# ------------------------------------------------------------------ serializers


class OrderStepSerializer(serializers.ModelSerializer):
    step = LabelChoiceField(Step)
    actor = serializers.SerializerMethodField(help_text="操作人")

    class Meta:
        model = OrderStep
        fields = ["step", "on", "note", "actor", "at"]

    def get_actor(self, obj) -> str:
        return getattr(obj.actor, "display_name", "") or obj.actor.get_username()


class DispatchSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    rating = LabelChoiceField(Rating, help_text="满意、基本满意、不满意；未评价为空")
    cause = LabelChoiceField(Cause, help_text="不满意回访的原因类别；未回访为空")
    on_time = serializers.BooleanField(allow_null=True, help_text="办理完成不晚于承诺限期；未办理为 null")

    class Meta:
        model = Dispatch
        fields = [
            "round",
            "cadre",
            "cadre_name",
            "party_group",
            "dispatched_on",
            "dispatch_note",
            "accepted_on",
            "promised_on",
            "handled_on",
            "handling",
            "rating",
            "score",
            "rated_on",
            "rating_note",
            "followup_on",
            "followup_reason",
            "cause",
            "explanation",
            "on_time",
        ]
        read_only_fields = fields


class WorkOrderSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    channel = LabelChoiceField(Channel)
    status = LabelChoiceField(OrderStatus, read_only=True)
    status_code = serializers.CharField(source="status", read_only=True, help_text="状态代码，如 closed")
    resident_contact = serializers.SerializerMethodField(
        help_text="联系方式；无权查看身份证号的角色只看到遮盖后的号码（138****5678）"
    )
    rounds = DispatchSerializer(
        source="dispatches", many=True, read_only=True, help_text="派单轮次，第一轮在前"
    )

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "unit",
            "unit_name",
            "party_group",
            "channel",
            "title",
            "content",
            "resident_name",
            "resident_contact",
            "relayed_by",
            "recorded_on",
            "dispatch_due",
            "status",
            "status_code",
            "closed_on",
            "close_note",
            "rounds",
        ]
        read_only_fields = fields

    def get_resident_contact(self, obj) -> str:
        request = self.context.get("request")
        if request is not None and request.user.can("view_id_number"):
            return obj.resident_contact
        return idnumber.mask_phone(obj.resident_contact) if obj.resident_contact else ""


class WorkOrderDetailSerializer(WorkOrderSerializer):
    steps = OrderStepSerializer(many=True, read_only=True, help_text="工单环节：谁、哪天、做了什么")

    class Meta(WorkOrderSerializer.Meta):
        fields = [*WorkOrderSerializer.Meta.fields, "steps"]
        read_only_fields = fields


class OrderCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="所属村（社区）：单位 id 或代码", required=False, allow_blank=True)
    channel = serializers.CharField(
        required=False, allow_blank=True, help_text="来源渠道（名称或代码）：" + "、".join(Channel.labels)
    )
    title = serializers.CharField(
        required=False, allow_blank=True, help_text="需求摘要（公示在民心墙，勿写个人信息）"
    )
    content = serializers.CharField(required=False, allow_blank=True)
    resident_name = serializers.CharField(required=False, allow_blank=True)
    resident_contact = serializers.CharField(required=False, allow_blank=True)
    relayed_by = serializers.CharField(required=False, allow_blank=True, help_text="代为诉说人")
    recorded_on = serializers.DateField(required=False, allow_null=True, help_text="点单日期")
    party_group = serializers.IntegerField(required=False, allow_null=True, help_text="党小组 id")


class DispatchActionSerializer(serializers.Serializer):
    cadre = serializers.IntegerField(required=False, allow_null=True, help_text="承办干部 id")
    dispatched_on = serializers.DateField(required=False, allow_null=True)
    party_group = serializers.IntegerField(required=False, allow_null=True, help_text="派单党小组 id")
    note = serializers.CharField(required=False, allow_blank=True, help_text="派单说明")


class AcceptActionSerializer(serializers.Serializer):
    accepted_on = serializers.DateField(required=False, allow_null=True)
    promised_on = serializers.DateField(required=False, allow_null=True, help_text="承诺限期")


class HandleActionSerializer(serializers.Serializer):
    handled_on = serializers.DateField(required=False, allow_null=True)
    handling = serializers.CharField(required=False, allow_blank=True, help_text="办理情况")


class RateActionSerializer(serializers.Serializer):
    rating = serializers.CharField(
        required=False, allow_blank=True, help_text="群众评价（名称或代码）：满意、基本满意、不满意"
    )
    rated_on = serializers.DateField(required=False, allow_null=True)
    score = serializers.IntegerField(
        required=False, allow_null=True, help_text="百分制评价得分 0–100（使用时）"
    )
    note = serializers.CharField(required=False, allow_blank=True, help_text="评价意见")


class FollowupActionSerializer(serializers.Serializer):
    followup_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, help_text="不满意原因")
    cause = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="原因类别（名称或代码）：cadre 干部个人原因（重新派单）、objective 客观原因（解释说明后办结）",
    )
    explanation = serializers.CharField(
        required=False, allow_blank=True, help_text="解释说明（客观原因时必填）"
    )


class LedgerRowSerializer(serializers.Serializer):
    """Documentation of a ledger row; the service checks the rows itself (第 N 行)."""

    channel = serializers.CharField(help_text="来源渠道（名称或代码）")
    title = serializers.CharField(help_text="需求摘要")
    recorded_on = serializers.DateField(help_text="点单日期")
    resident_name = serializers.CharField(
        required=False, help_text="居民姓名；台账没有的填“（台账补录）”或省略"
    )
    content = serializers.CharField(required=False)
    resident_contact = serializers.CharField(required=False)
    party_group = serializers.IntegerField(required=False, help_text="党小组 id")
    cadre = serializers.IntegerField(required=False, help_text="承办干部 id（与 dispatched_on 一起）")
    dispatched_on = serializers.DateField(required=False)
    accepted_on = serializers.DateField(required=False, help_text="与 promised_on 一起")
    promised_on = serializers.DateField(required=False)
    handled_on = serializers.DateField(required=False)
    handling = serializers.CharField(required=False)
    rating = serializers.CharField(required=False, help_text="满意、基本满意、不满意（须有 handled_on）")
    score = serializers.IntegerField(required=False, help_text="0–100")
    rated_on = serializers.DateField(required=False, help_text="省略为办理完成日期")
    closed = serializers.BooleanField(
        required=False, help_text="满意、基本满意即办结；不满意须有 explanation 才办结"
    )
    explanation = serializers.CharField(required=False, help_text="不满意属客观原因、解释说明后办结")


class LedgerSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="所属村（社区）：单位 id 或代码")
    rows = LedgerRowSerializer(
        many=True, help_text="台账的工单，一行一件（最多 10000 行，请求体不超过 5 MB）"
    )


class PartyGroupSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = PartyGroup
        fields = ["id", "unit", "unit_name", "name", "leader", "active", "created_at"]
        read_only_fields = fields


class PartyGroupCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(required=False, allow_blank=True, help_text="所属村（社区）：单位 id 或代码")
    name = serializers.CharField(
        required=False, allow_blank=True, help_text="党小组名称（本村（社区）内不重复）"
    )
    leader = serializers.CharField(required=False, allow_blank=True, help_text="党小组长")
    active = serializers.BooleanField(required=False, default=True)


# ------------------------------------------------------------------ work orders


ORDER_FILTERS = [
    OpenApiParameter("unit", str, description="单位 id 或代码：含全部下级单位（不在管辖范围内的为空列表）"),
    OpenApiParameter("status", str, description="状态（名称或代码），如 待派单、closed；open 为全部未办结"),
    OpenApiParameter("channel", str, description="来源渠道（名称或代码）"),
    OpenApiParameter("cadre", int, description="承办干部 id：任一轮派给该干部的工单"),
    OpenApiParameter("recorded_from", str, description="点单日期起 YYYY-MM-DD（含）"),
    OpenApiParameter("recorded_to", str, description="点单日期止 YYYY-MM-DD（含）"),
    OpenApiParameter(
        "overdue",
        bool,
        description="true：超期未处理的（待派单已过派单期限，或接单后已过承诺限期仍未办理完成）；false：其余",
    ),
]


def _date_param(value: str, field: str):
    import datetime

    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: "日期格式不正确，应为 YYYY-MM-DD。"}) from None


def _action_schema(summary: str, request, description: str):
    return extend_schema(
        summary=summary,
        description=description
        + " 成功返回工单（含各轮派单和环节）。状态不允许此步骤或填写有误为 400（说明原因）；"
        "无 manage_workorders 的角色为 403；工单不在管辖范围内为 404。",
        request=request,
        responses={200: WorkOrderDetailSerializer},
    )


@extend_schema_view(
    list=extend_schema(summary="民情工单", description="点单日期新的在前。", parameters=ORDER_FILTERS),
    retrieve=extend_schema(summary="民情工单详情", description="含各轮派单（rounds）和工单环节（steps）。"),
    create=extend_schema(
        summary="居民点单（登记工单）",
        description="按所属村（社区）的规则计算派单期限（默认点单后 3 天）。",
        request=OrderCreateSerializer,
        responses={201: WorkOrderDetailSerializer},
    ),
)
class WorkOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [WorkOrderPermission]
    filter_backends: list = []
    queryset = WorkOrder.objects.none()  # the schema's model; requests use get_queryset

    def get_serializer_class(self):
        if self.action == "list":
            return WorkOrderSerializer
        return {
            "create": OrderCreateSerializer,
            "dispatch_order": DispatchActionSerializer,
            "accept": AcceptActionSerializer,
            "handle": HandleActionSerializer,
            "rate": RateActionSerializer,
            "followup": FollowupActionSerializer,
            "ledger": LedgerSerializer,
        }.get(self.action, WorkOrderDetailSerializer)

    def get_queryset(self):
        user = self.request.user
        rounds = Prefetch("dispatches", queryset=Dispatch.objects.select_related("cadre").order_by("round"))
        qs = visible_orders(user).select_related("unit").prefetch_related(rounds)
        if self.action == "retrieve" or self.action in ACTIONS:
            qs = qs.prefetch_related(Prefetch("steps", queryset=OrderStep.objects.select_related("actor")))
        if self.action == "list":
            qs = self._filtered(qs)
        return qs.order_by("-recorded_on", "-id")

    def _filtered(self, qs):
        user, p = self.request.user, self.request.query_params
        if p.get("unit"):
            unit = _unit(user, p["unit"])
            if unit is None:
                return qs.none()
            qs = qs.filter(unit__path__startswith=unit.path)
        if p.get("status"):
            if p["status"].strip().lower() == "open":
                qs = qs.filter(status__in=OPEN_STATUSES)
            else:
                code = resolve_choice(OrderStatus, p["status"])
                if code is None:
                    raise ValidationError(
                        {"status": "无效的状态。可选值：open、" + "、".join(OrderStatus.labels)}
                    )
                qs = qs.filter(status=code)
        if p.get("channel"):
            code = resolve_choice(Channel, p["channel"])
            if code is None:
                raise ValidationError({"channel": "无效的来源渠道。可选值：" + "、".join(Channel.labels)})
            qs = qs.filter(channel=code)
        if p.get("cadre"):
            cadre_id = int_param(p["cadre"], "cadre")
            qs = qs.filter(Exists(Dispatch.objects.filter(order=OuterRef("pk"), cadre_id=cadre_id)))
        if p.get("recorded_from"):
            qs = qs.filter(recorded_on__gte=_date_param(p["recorded_from"], "recorded_from"))
        if p.get("recorded_to"):
            qs = qs.filter(recorded_on__lte=_date_param(p["recorded_to"], "recorded_to"))
        if p.get("overdue"):
            today = timezone.localdate()
            late_promise = Exists(
                Dispatch.objects.filter(order=OuterRef("pk"), handled_on__isnull=True, promised_on__lt=today)
            )
            overdue = Q(status=OrderStatus.RECORDED, dispatch_due__lt=today) | Q(
                late_promise, status=OrderStatus.ACCEPTED
            )
            qs = qs.filter(overdue) if bool_param(p["overdue"], "overdue") else qs.exclude(overdue)
        return qs

    def _answer(self, order, code=status.HTTP_200_OK):
        order = self.get_queryset().get(pk=order.pk)
        return Response(WorkOrderDetailSerializer(order, context={"request": self.request}).data, status=code)

    def _body(self):
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def create(self, request, *args, **kwargs):
        v = self._body()
        unit = _required_unit(request.user, v.pop("unit", None))
        order = call_service(
            services.order_record,
            actor=request.user,
            unit=unit,
            channel=resolve_choice(Channel, v.get("channel", "")) or v.get("channel", ""),
            title=v.get("title", ""),
            resident_name=v.get("resident_name", ""),
            recorded_on=v.get("recorded_on"),
            content=v.get("content", ""),
            resident_contact=v.get("resident_contact", ""),
            relayed_by=v.get("relayed_by", ""),
            party_group=_group(request.user, v.get("party_group")),
        )
        return self._answer(order, status.HTTP_201_CREATED)

    @_action_schema(
        "派单 / 重新派单",
        DispatchActionSerializer,
        "派给承办干部；不满意回访属干部个人原因的，重新派单（新一轮）。",
    )
    # not "dispatch": that name is the view's own request entry point
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_order(self, request, pk=None):
        order = self.get_object()
        v = self._body()
        cadre = None
        if v.get("cadre") is not None:
            cadre = cadres_visible_to(request.user).select_related("unit").filter(pk=v["cadre"]).first()
            if cadre is None:
                raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
        call_service(
            services.order_dispatch,
            actor=request.user,
            order=order,
            cadre=cadre,
            dispatched_on=v.get("dispatched_on"),
            party_group=_group(request.user, v.get("party_group")),
            note=v.get("note", ""),
        )
        return self._answer(order)

    @_action_schema("接单", AcceptActionSerializer, "承办干部接单并承诺办结期限。")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        order = self.get_object()
        v = self._body()
        call_service(
            services.order_accept,
            actor=request.user,
            order=order,
            accepted_on=v.get("accepted_on"),
            promised_on=v.get("promised_on"),
        )
        return self._answer(order)

    @_action_schema("办理完成", HandleActionSerializer, "登记办理完成日期和办理情况。")
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        order = self.get_object()
        v = self._body()
        call_service(
            services.order_handle,
            actor=request.user,
            order=order,
            handled_on=v.get("handled_on"),
            handling=v.get("handling", ""),
        )
        return self._answer(order)

    @_action_schema(
        "群众评单", RateActionSerializer, "满意、基本满意即办结；不满意待回访。百分制评价的地方填写 score。"
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        order = self.get_object()
        v = self._body()
        rating = v.get("rating", "")
        call_service(
            services.order_rate,
            actor=request.user,
            order=order,
            rating=resolve_choice(Rating, rating) or rating,
            rated_on=v.get("rated_on"),
            score=v.get("score"),
            note=v.get("note", ""),
        )
        return self._answer(order)

    @_action_schema(
        "不满意回访",
        FollowupActionSerializer,
        "登记不满意原因：客观原因的，解释说明后办结；干部个人原因的，待重新派单（POST dispatch/）。",
    )
    @action(detail=True, methods=["post"])
    def followup(self, request, pk=None):
        order = self.get_object()
        v = self._body()
        cause = v.get("cause", "")
        call_service(
            services.order_followup,
            actor=request.user,
            order=order,
            followup_on=v.get("followup_on"),
            reason=v.get("reason", ""),
            cause=resolve_choice(Cause, cause) or cause,
            explanation=v.get("explanation", ""),
        )
        return self._answer(order)

    @extend_schema(
        summary="民情工单台账补录",
        description='把一个村（社区）的纸质民情工单本一次补录：`{"unit": 12, "rows": [{...}, ...]}`。'
        "先逐行检查（日期须按点单、派单、接单、办理、评价的先后，不晚于今天；承办干部须在管辖范围内；"
        "有评价须先办理完成；满意、基本满意即办结，不满意须有解释说明才办结），任何一行有误则整批不写入，"
        "400 的 fields.rows 逐行说明（第 N 行）。成功返回补录件数。",
        request=LedgerSerializer,
        responses={201: inline_serializer("LedgerResult", {"created": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"])
    def ledger(self, request):
        data = request.data
        unit = _required_unit(request.user, data.get("unit") if hasattr(data, "get") else None)
        rows = data.get("rows") if hasattr(data, "get") else None
        if not isinstance(rows, list):
            raise ValidationError({"rows": "请提交台账的工单列表（JSON 数组）。"})
        created = call_service(services_ledger.orders_ledger_record, actor=request.user, unit=unit, rows=rows)
        return Response({"created": created}, status=status.HTTP_201_CREATED)


ACTIONS = ("dispatch_order", "accept", "handle", "rate", "followup")


# ------------------------------------------------------------------ party groups


@extend_schema_view(
    list=extend_schema(
        summary="党小组",
        parameters=[
            OpenApiParameter("unit", str, description="单位 id 或代码：含全部下级单位"),
            OpenApiParameter("active", bool, description="true：只看启用的"),
        ],
    ),
    create=extend_schema(
        summary="新建党小组", request=PartyGroupCreateSerializer, responses={201: PartyGroupSerializer}
    ),
)
class PartyGroupViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = PartyGroupSerializer
    permission_classes = [WorkOrderPermission]
    filter_backends: list = []
    queryset = PartyGroup.objects.none()

    def get_queryset(self):
        user, p = self.request.user, self.request.query_params
        qs = visible_groups(user).select_related("unit")
        if p.get("unit"):
            unit = _unit(user, p["unit"])
            if unit is None:
                return qs.none()
            qs = qs.filter(unit__path__startswith=unit.path)
        if p.get("active"):
            qs = qs.filter(active=bool_param(p["active"], "active"))
        return qs.order_by("unit__path", "name", "id")

    def get_serializer_class(self):
        return PartyGroupCreateSerializer if self.action == "create" else PartyGroupSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        group = call_service(
            services.party_group_save,
            actor=request.user,
            unit=_required_unit(request.user, v.get("unit")),
            name=v.get("name", ""),
            leader=v.get("leader", ""),
            active=v.get("active", True),
        )
        group = self.get_queryset().get(pk=group.pk)
        return Response(PartyGroupSerializer(group).data, status=status.HTTP_201_CREATED)


# ------------------------------------------------------------------ statistics


class WorkOrderFigures(serializers.Serializer):
    issued = serializers.IntegerField(help_text="点单（出具工单）件数")
    dispatched_on_time = serializers.IntegerField(help_text="第一轮在派单期限内（含当天）派单")
    dispatched_late = serializers.IntegerField(help_text="第一轮超过派单期限派单")
    not_dispatched = serializers.IntegerField(help_text="尚未派单")
    completed = serializers.IntegerField(help_text="已办结")
    completion_rate = serializers.DecimalField(
        max_digits=5, decimal_places=1, coerce_to_string=False, allow_null=True, help_text="办结率（%）"
    )
    completed_within_promise = serializers.IntegerField(help_text="已办结且最后一轮在承诺限期内办理完成")
    rated = serializers.IntegerField(help_text="已评价的派单轮次")
    satisfied = serializers.IntegerField()
    basic = serializers.IntegerField(help_text="基本满意")
    unsatisfied = serializers.IntegerField()
    satisfaction_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        coerce_to_string=False,
        allow_null=True,
        help_text="（满意 + 基本满意）÷ 已评价轮次（%）",
    )
    scored = serializers.IntegerField(help_text="有百分制得分的轮次")
    average_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True, help_text="百分制平均得分"
    )
    redispatched = serializers.IntegerField(help_text="重新派单（多于一轮）的工单")


class WorkOrderUnitFigures(WorkOrderFigures):
    unit_id = serializers.IntegerField()
    name = serializers.CharField(help_text="下级单位名称；统计单位本级的工单一行标“（本级）”")
    own = serializers.BooleanField()


class WorkOrderStatisticsUnit(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class WorkOrderStatisticsPeriod(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WorkOrderStatisticsBasis(serializers.Serializer):
    item = serializers.CharField()
    rule = serializers.CharField()


class WorkOrderStatisticsSerializer(serializers.Serializer):
    scope = serializers.CharField(help_text="统计范围（单位名称，或“全部单位”）")
    unit = WorkOrderStatisticsUnit(allow_null=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    period = WorkOrderStatisticsPeriod(allow_null=True)
    basis = WorkOrderStatisticsBasis(many=True)
    total = WorkOrderFigures()
    units = WorkOrderUnitFigures(many=True, help_text="按下级单位")


class WorkOrderStatisticsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="work_order_statistics",
        summary="民情工单统计",
        description="点单日期在统计期间内的工单：出具、按期派单、办结、评价、平均得分、重新派单，合计及按下级单位。"
        "期间用 `period`（考核期的起止日期）或 `from`+`to` 指定，都不给为本年度。无效参数为 400；"
        "单位不存在或不在管辖范围内为 404。",
        parameters=[
            OpenApiParameter("unit", str, description="单位 id 或代码：含全部下级单位；省略为调用者所在单位"),
            OpenApiParameter("period", int, description="考核期 id"),
            OpenApiParameter("from", str, description="开始日期 YYYY-MM-DD（含）"),
            OpenApiParameter("to", str, description="结束日期 YYYY-MM-DD（含）"),
        ],
        responses={200: WorkOrderStatisticsSerializer},
    )
    def get(self, request):
        from .views.statistics import StatisticsRangeForm

        unit = None
        if request.query_params.get("unit"):
            unit = _unit(request.user, request.query_params["unit"])
            if unit is None:
                raise Http404("单位不存在或不在您的管辖范围内。")
        form = StatisticsRangeForm(request.query_params)
        if not form.is_valid():
            errors = form.errors.get_json_data()
            fields = {k: [e["message"] for e in v] for k, v in errors.items() if k != "__all__"}
            if "__all__" in errors:
                fields["non_field_errors"] = [e["message"] for e in errors["__all__"]]
            raise ValidationError(fields)
        stats = order_statistics(request.user, unit=unit, **form.statistics_kwargs())
        return Response(WorkOrderStatisticsSerializer(stats).data)


def register(router) -> None:
    router.register("work-orders", WorkOrderViewSet, basename="work-order")
    router.register("party-groups", PartyGroupViewSet, basename="party-group")


urlpatterns = [
    path("work-order-statistics/", WorkOrderStatisticsView.as_view(), name="work-order-statistics"),
]
