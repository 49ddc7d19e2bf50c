"""``bonus-bases/`` (人均奖金基数 a unit sets for an annual period; GET, POST) and ``team-pools/``
(团队奖金池 with their arithmetic and members' shares; GET, POST, PATCH), through
``incentives.services_pools``.

A unit, cadre or pool outside the caller's subtree answers 404 as a missing one; a role without
``manage_incentives`` 403; bad input (a negative amount, weights all zero, a member out of scope)
400 with the field and a Chinese message."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api_fields import LabelChoiceField

from ..models import BonusBase, PoolKind, PoolShare, TeamPool
from ..selectors_pools import bases_visible_to, pools_visible_to
from ..services_pools import TIE_RULE, TIERS, bonus_base_set, pool_create, pool_shares_set, pool_update
from .common import (
    IncentivesPermission,
    call_service,
    choice_param,
    int_param,
    period_of,
    unit_filter,
    unit_in_scope,
)

MONEY_HELP = "金额（元），最多两位小数，不小于 0"


# ---------------------------------------------------------------- bonus-bases/


class BonusBaseSerializer(serializers.ModelSerializer):
    period = serializers.IntegerField(source="period_id", help_text="考核期 id（年度）")
    period_name = serializers.CharField(source="period.name")
    unit = serializers.IntegerField(source="unit_id", help_text="单位 id")
    unit_name = serializers.CharField(source="unit.name")
    set_by = serializers.SerializerMethodField(help_text="设置人")

    class Meta:
        model = BonusBase
        fields = [
            "id",
            "period",
            "period_name",
            "unit",
            "unit_name",
            "amount",
            "note",
            "set_by",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"amount": {"help_text": "人均奖金基数（元）；下级单位未单独设置的继承此基数"}}

    def get_set_by(self, obj) -> str:
        return str(obj.set_by)


class BonusBaseSetSerializer(serializers.Serializer):
    period = serializers.IntegerField(help_text="考核期 id（年度考核期）")
    unit = serializers.IntegerField(help_text="单位 id（须在您的管辖范围内，否则 404）")
    amount = serializers.CharField(max_length=30, help_text="人均奖金基数；" + MONEY_HELP)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="说明")


@extend_schema_view(
    list=extend_schema(
        summary="奖金基数",
        description="各单位为年度考核期设置的人均绩效奖金基数（只列单位自己设置的；未设置的单位继承最近的上级）。",
        parameters=[
            OpenApiParameter("period", int, description="考核期 id"),
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
        ],
    ),
    create=extend_schema(
        summary="设置奖金基数",
        description="设置（或修改）单位在考核期的人均奖金基数；新设返回 201，修改返回 200。",
        request=BonusBaseSetSerializer,
        responses={200: BonusBaseSerializer, 201: BonusBaseSerializer},
    ),
)
class BonusBaseViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = BonusBaseSerializer
    permission_classes = [IncentivesPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return BonusBaseSetSerializer if self.action == "create" else BonusBaseSerializer

    def get_queryset(self):
        user = self.request.user
        p = self.request.query_params
        qs = bases_visible_to(user).select_related("period", "unit", "set_by")
        if p.get("period"):
            qs = qs.filter(period_id=int_param(p["period"], "period"))
        unit = unit_filter(user, p)
        if unit is False:
            return BonusBase.objects.none()
        if unit is not None:
            qs = qs.filter(unit__path__startswith=unit.path)
        return qs.order_by("-period__year", "unit__path")

    def create(self, request, *args, **kwargs):
        serializer = BonusBaseSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        unit = unit_in_scope(user, v["unit"])
        period = period_of(v["period"])
        existed = BonusBase.objects.filter(period=period, unit=unit).exists()
        base = call_service(
            bonus_base_set, actor=user, period=period, unit=unit, amount=v["amount"], note=v.get("note", "")
        )
        base = self.get_queryset().get(pk=base.pk)
        return Response(
            BonusBaseSerializer(base).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )


# ---------------------------------------------------------------- team-pools/


class StepSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="步骤（团队年度等次、等次系数、奖金池基数、奖金池总额、分配）")
    value = serializers.CharField(help_text="结果")
    note = serializers.CharField(required=False, help_text="依据或算式（如 50000.00 × 1.2 = 60000.00）")


class ShareSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", help_text="成员（干部）id")
    cadre_name = serializers.CharField(source="cadre.name")

    class Meta:
        model = PoolShare
        fields = ["cadre", "cadre_name", "weight", "amount"]
        read_only_fields = fields
        extra_kwargs = {
            "weight": {"help_text": "分配权重"},
            "amount": {"help_text": "分配金额（元，到分）；各成员合计恰好等于奖金池总额"},
        }


class TeamPoolSerializer(serializers.ModelSerializer):
    period = serializers.IntegerField(source="period_id", help_text="考核期 id（已公布的年度考核）")
    period_name = serializers.CharField(source="period.name")
    unit = serializers.IntegerField(source="unit_id", help_text="所属单位 id")
    unit_name = serializers.CharField(source="unit.name")
    kind = LabelChoiceField(PoolKind, help_text="团队类型：单位团队 / 项目团队")
    kind_code = serializers.CharField(source="kind", help_text="unit / project")
    arithmetic = StepSerializer(many=True, help_text="计算过程")
    shares = serializers.SerializerMethodField(help_text="成员分配，按列出的先后顺序")
    shares_total = serializers.SerializerMethodField(help_text="分配合计（元）；有成员时等于奖金池总额")
    created_by = serializers.SerializerMethodField(help_text="建立人")

    class Meta:
        model = TeamPool
        fields = [
            "id",
            "period",
            "period_name",
            "unit",
            "unit_name",
            "kind",
            "kind_code",
            "name",
            "tier",
            "base",
            "total",
            "arithmetic",
            "shares",
            "shares_total",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "tier": {"help_text": "团队年度等次：优秀、良好、一般、较差（单位团队取领导班子年度考核等次）"},
            "base": {"help_text": "奖金池基数（元）"},
            "total": {"help_text": "奖金池总额 = 基数 × 等次系数（元，四舍五入到分）"},
        }

    @staticmethod
    def _shares(obj) -> list:
        return getattr(obj, "members", None) or list(obj.shares.select_related("cadre").order_by("id"))

    @extend_schema_field(ShareSerializer(many=True))
    def get_shares(self, obj):
        return ShareSerializer(self._shares(obj), many=True).data

    def get_shares_total(self, obj) -> str | None:
        shares = self._shares(obj)
        if not shares:
            return None
        return f"{sum(s.amount or 0 for s in shares):.2f}"

    def get_created_by(self, obj) -> str:
        return str(obj.created_by)


class ShareInputSerializer(serializers.Serializer):
    cadre = serializers.IntegerField(help_text="成员（干部）id，须在您的管辖范围内")
    weight = serializers.CharField(max_length=20, help_text="分配权重，不小于 0，最多两位小数")


class PoolWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="团队名称（同一单位同一考核期内不重复）")
    base = serializers.CharField(max_length=30, help_text="奖金池基数；" + MONEY_HELP)
    tier = serializers.ChoiceField(
        choices=[(t, t) for t in TIERS],
        required=False,
        allow_blank=True,
        help_text="项目团队的年度绩效考评等次（必填）；单位团队不填，取领导班子年度考核等次",
    )
    shares = ShareInputSerializer(
        many=True,
        required=False,
        help_text="成员及权重（按列出的顺序）；给出时整体替换原有分配。金额按最大余数法分到分：" + TIE_RULE,
    )


class PoolCreateSerializer(PoolWriteSerializer):
    period = serializers.IntegerField(help_text="考核期 id（已公布的年度考核期）")
    unit = serializers.IntegerField(help_text="所属单位 id（须在您的管辖范围内，否则 404）")
    kind = LabelChoiceField(PoolKind, help_text="团队类型：unit（单位团队）或 project（项目团队）")


class PoolPatchSerializer(PoolWriteSerializer):
    name = serializers.CharField(max_length=100, required=False, help_text="团队名称")
    base = serializers.CharField(max_length=30, required=False, help_text="奖金池基数；" + MONEY_HELP)


def _shares_in(v) -> list | None:
    if "shares" not in v:
        return None
    return [(s["cadre"], s["weight"]) for s in v["shares"]]


@extend_schema_view(
    list=extend_schema(
        summary="团队奖金池",
        description="单位团队、项目团队的奖金池：总额 = 基数 × 团队年度等次系数（激励规则“团队奖金池系数”），"
        "附计算过程和成员分配（各人金额合计恰好等于总额）。",
        parameters=[
            OpenApiParameter("period", int, description="考核期 id"),
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
            OpenApiParameter("kind", str, description="团队类型：unit / project"),
        ],
    ),
    retrieve=extend_schema(summary="团队奖金池详情（计算过程、成员分配）"),
    create=extend_schema(
        summary="建立团队奖金池",
        description="按已公布的年度考核期建立；可同时给出 shares 分配。单位团队没有领导班子等次、"
        "项目团队没有等次、基数或权重无效时返回 400。",
        request=PoolCreateSerializer,
        responses={201: TeamPoolSerializer},
    ),
    partial_update=extend_schema(
        summary="修改团队奖金池或其分配",
        description="name、base、tier（项目团队）改变后重新计算总额，成员金额随之重新分配；给出 shares 时整体替换分配。",
        request=PoolPatchSerializer,
        responses={200: TeamPoolSerializer},
    ),
)
class TeamPoolViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TeamPoolSerializer
    permission_classes = [IncentivesPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action == "create":
            return PoolCreateSerializer
        if self.action == "partial_update":
            return PoolPatchSerializer
        return TeamPoolSerializer

    def get_queryset(self):
        user = self.request.user
        p = self.request.query_params
        qs = (
            pools_visible_to(user)
            .select_related("period", "unit", "created_by")
            .prefetch_related(
                Prefetch(
                    "shares",
                    queryset=PoolShare.objects.select_related("cadre").order_by("id"),
                    to_attr="members",
                )
            )
        )
        if self.action == "list":
            if p.get("period"):
                qs = qs.filter(period_id=int_param(p["period"], "period"))
            if p.get("kind"):
                qs = qs.filter(kind=choice_param(PoolKind, p["kind"], "kind"))
            unit = unit_filter(user, p)
            if unit is False:
                return TeamPool.objects.none()
            if unit is not None:
                qs = qs.filter(unit__path__startswith=unit.path)
        return qs.order_by("-period__year", "unit__path", "name", "id")

    def _detail(self, pool, code=status.HTTP_200_OK) -> Response:
        return Response(TeamPoolSerializer(self.get_queryset().get(pk=pool.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = PoolCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        unit = unit_in_scope(user, v["unit"])
        pool = call_service(
            pool_create,
            actor=user,
            period=period_of(v["period"]),
            unit=unit,
            kind=v["kind"],
            name=v["name"],
            base=v["base"],
            tier=v.get("tier", ""),
            shares=_shares_in(v),
        )
        return self._detail(pool, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        pool = self.get_object()
        serializer = PoolPatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        with transaction.atomic():  # the pool and its shares change together or not at all
            if {"name", "base", "tier"} & set(v):
                pool = call_service(
                    pool_update,
                    actor=user,
                    pool=pool,
                    name=v.get("name"),
                    base=v.get("base"),
                    tier=v.get("tier") or None,
                )
            shares = _shares_in(v)
            if shares is not None:
                call_service(pool_shares_set, actor=user, pool=pool, shares=shares)
        return self._detail(pool)


def register(router) -> None:
    router.register("bonus-bases", BonusBaseViewSet, basename="bonus-base")
    router.register("team-pools", TeamPoolViewSet, basename="team-pool")
