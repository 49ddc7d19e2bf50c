"""``unit-quotas/`` (each unit's 优秀 quota in an annual period: read only) and ``quota-raises/``
(优秀比例上调: GET, POST, PATCH, DELETE) of the public API. Thin: reads through
``services.quotas`` (scoped to the caller: a row outside the subtree is a 404 like a missing one),
writes through its services. Bad input is a 400 with ``fields`` (Chinese), a role without
``manage_assessment`` writing a 403."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from cadres import selectors as cadre_selectors
from core.api import call_service, int_param, read_or_capability

from . import selectors
from .grading import ROUNDING_LABELS
from .models import QuotaRaise, UnitQuota
from .services import quotas as services
from .services.recompute import policy_resolver

urlpatterns: list = []


def _period(user, value, field: str = "period"):
    period = selectors.periods_visible_to(user).filter(pk=int_param(value, field)).first()
    if period is None:
        raise ValidationError({field: "考核期不存在。"})
    return period


def _unit_filter(user, params):
    """``?unit=``: the unit in scope; one outside the subtree (or none such) is a 404."""
    if not params.get("unit"):
        return None
    unit = cadre_selectors.units_visible_to(user).filter(pk=int_param(params["unit"], "unit")).first()
    if unit is None:
        raise NotFound("单位不存在或不在您的管辖范围内。")
    return unit


class UnitQuotaSerializer(serializers.ModelSerializer):
    period = serializers.IntegerField(source="period_id", help_text="考核期 id")
    unit = serializers.IntegerField(source="unit_id", help_text="单位 id")
    unit_name = serializers.CharField(source="unit_label", help_text="单位名称（同名单位附上级名称）")
    assessed = serializers.IntegerField(help_text="参加考核、计入名额基数的人数")
    excluded = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="不计入基数的人数，按原因：{原因: 人数}，原因如 试用期、长期请假、立案审查、缺少指标得分",
    )
    excluded_total = serializers.SerializerMethodField(help_text="不计入基数的总人数")
    ratio = serializers.DecimalField(
        max_digits=6, decimal_places=4, help_text="适用的优秀比例（小数，如 0.2000 为 20%）"
    )
    ratio_percent = serializers.SerializerMethodField(help_text="适用的优秀比例（百分数，如 20%）")
    raised = serializers.BooleanField(help_text="是否按完成重大任务单位的上调比例")
    raise_note = serializers.CharField(
        help_text="上调说明（理由、批准人、日期）；已登记上调但规则未设上调比例时说明仍按一般比例"
    )
    exact = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="名额精确值 = assessed × ratio，两位小数（字符串）"
    )
    rounding = serializers.SerializerMethodField(help_text="取整方式：向下取整、四舍五入、向上取整")
    rounding_code = serializers.CharField(source="rounding", help_text="取整方式代码：floor、round、ceil")
    places = serializers.IntegerField(help_text="优秀名额（精确值取整）")
    fixed = serializers.IntegerField(help_text="其中经复核决定为优秀、先行占用的名额")
    awarded = serializers.IntegerField(help_text="评为优秀的人数")

    class Meta:
        model = UnitQuota
        fields = [
            "id",
            "period",
            "unit",
            "unit_name",
            "assessed",
            "excluded",
            "excluded_total",
            "ratio",
            "ratio_percent",
            "raised",
            "raise_note",
            "exact",
            "rounding",
            "rounding_code",
            "places",
            "fixed",
            "awarded",
            "updated_at",
        ]
        read_only_fields = fields

    def get_excluded_total(self, obj) -> int:
        return sum((obj.excluded or {}).values())

    def get_ratio_percent(self, obj) -> str:
        return services.percent(obj.ratio)

    def get_rounding(self, obj) -> str:
        return ROUNDING_LABELS.get(obj.rounding, obj.rounding)


@extend_schema_view(
    list=extend_schema(
        summary="各单位优秀名额",
        description="年度考核中每个单位的优秀名额，按最近一次计算等次时的结果：计入基数人数 × 适用比例 = 精确值"
        "（两位小数），按取整方式得出名额；不计入基数的人员按原因计数；上调比例的单位附上调说明。"
        "按单位层级排序。季度平时考核不设名额（结果为空）。",
        parameters=[
            OpenApiParameter("period", int, required=True, description="考核期 id（必填）"),
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位；不在管辖范围内为 404"),
            OpenApiParameter("raised", bool, description="true：只看上调比例的单位"),
        ],
        responses={
            200: UnitQuotaSerializer(many=True),
            400: OpenApiResponse(description="缺少或无效的 period"),
            404: OpenApiResponse(description="单位不存在或不在管辖范围内"),
        },
    ),
    retrieve=extend_schema(summary="一个单位的优秀名额"),
)
class UnitQuotaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UnitQuotaSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return (
                services.unit_quotas_visible_to(user)
                .select_related("unit")
                .annotate(unit_label=cadre_selectors.unit_label("unit__"))
            )
        p = self.request.query_params
        if not p.get("period"):
            raise ValidationError({"period": "请指定考核期（period=考核期 id）。"})
        period = _period(user, p["period"])
        qs = services.unit_quota_rows(user, period=period, unit=_unit_filter(user, p))
        raised = (p.get("raised") or "").strip().lower()
        if raised in ("true", "1", "yes", "是"):
            qs = qs.filter(raised=True)
        elif raised in ("false", "0", "no", "否"):
            qs = qs.filter(raised=False)
        elif raised:
            raise ValidationError({"raised": "应为 true 或 false。"})
        return qs


# --------------------------------------------------------------------------- quota-raises


QuotaRaisePermission = read_or_capability(
    "manage_assessment", "您的角色只能查阅优秀比例上调，不能登记、修改或撤销。"
)


class QuotaRaiseSerializer(serializers.ModelSerializer):
    period = serializers.IntegerField(source="period_id", help_text="考核期 id（年度考核）")
    period_name = serializers.CharField(source="period.name", read_only=True)
    unit = serializers.IntegerField(source="unit_id", help_text="单位 id（管辖范围内）")
    unit_name = serializers.CharField(source="unit_label", read_only=True)
    reason = serializers.CharField(
        allow_blank=True,
        help_text=f"理由：本单位完成的重大任务（必填，不超过 {services.REASON_MAX} 字）",
    )
    approved_by = serializers.CharField(allow_blank=True, help_text="批准人（必填）")
    approved_on = serializers.DateField(help_text="批准日期：不晚于今天，不早于考核年度 1 月 1 日")
    raised_ratio = serializers.SerializerMethodField(
        help_text="该单位评定规则中完成重大任务单位的优秀比例（小数）；null 表示规则未设，上调不生效"
    )
    effect = serializers.SerializerMethodField(help_text="上调对该单位名额的作用（文字）")
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = QuotaRaise
        fields = [
            "id",
            "period",
            "period_name",
            "unit",
            "unit_name",
            "reason",
            "approved_by",
            "approved_on",
            "raised_ratio",
            "effect",
            "created_by",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "period_name",
            "unit_name",
            "raised_ratio",
            "effect",
            "created_by",
            "created_at",
        ]
        validators: list = []

    def _ratios(self, obj) -> services.Ratios:
        # one read of the rules for the whole answer (the context is the list's, shared)
        if "resolver" not in self.context:
            self.context["resolver"] = policy_resolver()
        return services.ratios_for(obj.unit, self.context["resolver"])

    def get_raised_ratio(self, obj) -> str | None:
        raised = self._ratios(obj).raised
        return None if raised is None else str(raised)

    def get_effect(self, obj) -> str:
        return services.raise_effect(self._ratios(obj))

    def get_created_by(self, obj) -> str | None:
        return obj.created_by.username if obj.created_by_id else None


class QuotaRaisePatchSerializer(QuotaRaiseSerializer):
    class Meta(QuotaRaiseSerializer.Meta):
        read_only_fields = [*QuotaRaiseSerializer.Meta.read_only_fields, "period", "unit"]


@extend_schema_view(
    list=extend_schema(
        summary="优秀比例上调",
        description="完成重大任务并经批准、按评定规则中上调比例计算优秀名额的单位。",
        parameters=[
            OpenApiParameter("period", int, description="考核期 id"),
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位；不在管辖范围内为 404"),
        ],
    ),
    retrieve=extend_schema(summary="优秀比例上调详情"),
    create=extend_schema(
        summary="登记优秀比例上调",
        description="只适用于年度考核、未归档的考核期；每个单位每个考核期一条。理由、批准人、批准日期必填，"
        "批准日期不晚于今天。登记后重新评定该单位等次：采集评分、评定等次阶段排入重新计算；已公布的考核期立即"
        "重新评定该单位（不含下级单位），并记入留痕；草稿阶段在开始评定时生效。评定规则未设上调比例时，"
        "登记不改变名额（`effect` 说明）。",
    ),
    partial_update=extend_schema(
        summary="修改优秀比例上调",
        description="可改理由、批准人、批准日期；考核期和单位不能修改（撤销后重新登记）。",
        request=QuotaRaisePatchSerializer,
    ),
    destroy=extend_schema(
        summary="撤销优秀比例上调",
        description="该单位按一般比例重新评定等次（已公布的考核期立即重新评定）。已归档的考核期返回 400。",
    ),
)
class QuotaRaiseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = QuotaRaiseSerializer
    permission_classes = [QuotaRaisePermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        return QuotaRaisePatchSerializer if self.action == "partial_update" else QuotaRaiseSerializer

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return services.quota_raise_rows(user)
        p = self.request.query_params
        period = _period(user, p["period"]) if p.get("period") else None
        return services.quota_raise_rows(user, period=period, unit=_unit_filter(user, p))

    def _fresh(self, pk):
        return services.quota_raise_rows(self.request.user).get(pk=pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        period = _period(user, v["period_id"])
        unit = cadre_selectors.units_visible_to(user).filter(pk=v["unit_id"]).first()
        if unit is None:
            raise ValidationError({"unit": "单位不存在或不在您的管辖范围内。"})
        raise_ = call_service(
            services.quota_raise_create,
            actor=user,
            period=period,
            unit=unit,
            reason=v["reason"],
            approved_by=v["approved_by"],
            approved_on=v["approved_on"],
        )
        return Response(QuotaRaiseSerializer(self._fresh(raise_.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        raise_ = self.get_object()
        fixed = sorted({"period", "unit"} & set(request.data))
        if fixed:
            raise ValidationError(
                dict.fromkeys(fixed, "考核期和单位不能修改；如登记错了单位，请撤销后重新登记。")
            )
        serializer = self.get_serializer(raise_, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        saved = call_service(
            services.quota_raise_update,
            actor=request.user,
            raise_=raise_,
            reason=v.get("reason"),
            approved_by=v.get("approved_by"),
            approved_on=v.get("approved_on"),
        )
        return Response(QuotaRaiseSerializer(self._fresh(saved.pk)).data)

    def destroy(self, request, *args, **kwargs):
        raise_ = self.get_object()
        call_service(services.quota_raise_delete, actor=request.user, raise_=raise_)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("unit-quotas", UnitQuotaViewSet, basename="unit-quota")
    router.register("quota-raises", QuotaRaiseViewSet, basename="quota-raise")
