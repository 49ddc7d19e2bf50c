"""``periods/{id}/what-if/``: the policy what-if (试算) through the API. Thin: the proposed rules
are validated and graded by ``services.whatif.whatif_run``; nothing is written."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cadres.selectors import unit_label, units_visible_to
from core.api import int_param

from .api import CanManageAssessment, ExplanationSerializer
from .selectors import period_get
from .services.whatif import DEFAULT_LIMIT, MAX_LIMIT, whatif_run

# ------------------------------------------------------------------ the request


class WhatIfRuleSerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        allow_null=True, required=False, help_text="规则所属单位 id（含下级适用）；null 为默认规则"
    )
    kind = serializers.CharField(help_text="规则类型，如 thresholds、quota、missing_scores（同评定规则）")
    key = serializers.CharField(
        required=False, allow_blank=True, help_text="规则标识：同类可有多条的规则（如处分影响期）必填"
    )
    params = serializers.DictField(
        help_text='规则参数，与评定规则页面相同；比例填百分数，如 {"ratio": 25, "rounding": "floor"}'
    )
    enabled = serializers.BooleanField(required=False, default=True, help_text="停用则该规则不再适用")


class WhatIfRequestSerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="试算范围：单位 id（含下级）；省略为所提规则的单位，且不超出本人管辖范围",
    )
    rules = WhatIfRuleSerializer(many=True, help_text="拟保存的规则：替换同一单位的同一条规则，或新增")
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"逐人列出的上限（默认 {DEFAULT_LIMIT}）；各项总数不受限制",
    )


# ------------------------------------------------------------------ the answer


class _WhatIfUnit(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _WhatIfPeriod(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    annual = serializers.BooleanField()
    status = serializers.CharField()
    status_label = serializers.CharField()


class _WhatIfRule(serializers.Serializer):
    unit = serializers.IntegerField(allow_null=True)
    unit_name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    key = serializers.CharField(allow_blank=True)
    params = serializers.DictField(help_text="规范化后的参数（比例为小数）")
    enabled = serializers.BooleanField()
    text = serializers.CharField(help_text="规则的中文表述")


def _total(**kw):
    return serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, allow_null=True, **kw
    )


class _WhatIfCadre(serializers.Serializer):
    assessment = serializers.IntegerField()
    cadre = serializers.IntegerField()
    cadre_name = serializers.CharField()
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    total_before = _total()
    total_after = _total()
    computed_before = serializers.CharField(allow_blank=True)
    computed_after = serializers.CharField(allow_blank=True)
    final_before = serializers.CharField(allow_blank=True)
    final_after = serializers.CharField(allow_blank=True)


class _WhatIfChanged(_WhatIfCadre):
    explanation = ExplanationSerializer(many=True, help_text="新等次的依据")


class _WhatIfTeam(serializers.Serializer):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    total_before = _total()
    total_after = _total()
    computed_before = serializers.CharField(allow_blank=True)
    computed_after = serializers.CharField(allow_blank=True)
    final_before = serializers.CharField(allow_blank=True)
    final_after = serializers.CharField(allow_blank=True)
    explanation = ExplanationSerializer(many=True)


class _WhatIfQuota(serializers.Serializer):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    assessed_before = serializers.IntegerField(allow_null=True, help_text="计入名额基数人数")
    assessed_after = serializers.IntegerField()
    ratio_before = serializers.DecimalField(
        max_digits=6, decimal_places=4, coerce_to_string=False, allow_null=True
    )
    ratio_after = serializers.DecimalField(max_digits=6, decimal_places=4, coerce_to_string=False)
    exact_before = serializers.DecimalField(
        max_digits=10, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    exact_after = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=False)
    places_before = serializers.IntegerField(allow_null=True)
    places_after = serializers.IntegerField()
    awarded_before = serializers.IntegerField(allow_null=True)
    awarded_after = serializers.IntegerField()


class _WhatIfDistribution(serializers.Serializer):
    grade = serializers.CharField(help_text="最终等次；“未评定”为尚无等次")
    before = serializers.IntegerField()
    after = serializers.IntegerField()
    change = serializers.IntegerField()


class WhatIfResultSerializer(serializers.Serializer):
    period = _WhatIfPeriod()
    unit = _WhatIfUnit(allow_null=True, help_text="试算范围；null 为全部单位")
    unit_name = serializers.CharField()
    rules = _WhatIfRule(many=True)
    assessed = serializers.IntegerField(help_text="范围内的考核人数")
    totals_changed = serializers.IntegerField(help_text="总分会变化的人数")
    changed_count = serializers.IntegerField(help_text="计算等次或最终等次会变化的人数（全部）")
    changed = _WhatIfChanged(many=True, help_text="等次会变化的干部，至多 limit 人")
    distribution = _WhatIfDistribution(many=True, help_text="最终等次分布：现在与试算后")
    excellent_in_count = serializers.IntegerField()
    excellent_in = _WhatIfCadre(many=True, help_text="将新获优秀的干部")
    excellent_out_count = serializers.IntegerField()
    excellent_out = _WhatIfCadre(many=True, help_text="将不再为优秀的干部")
    teams_changed_count = serializers.IntegerField()
    teams = _WhatIfTeam(many=True, help_text="等次会变化的领导班子")
    quotas_changed_count = serializers.IntegerField()
    quotas = _WhatIfQuota(many=True, help_text="优秀名额会变化的单位")
    limit = serializers.IntegerField()
    notes = serializers.ListField(child=serializers.CharField())


# ------------------------------------------------------------------ the view


class WhatIfView(APIView):
    permission_classes = [CanManageAssessment]

    @extend_schema(
        operation_id="periods_what_if",
        summary="评定规则试算",
        description=(
            "保存评定规则之前，看拟修改的规则（分数线、优秀比例或取整、限制、影响期、季度规则、"
            "试用期/长期请假/立案审查/缺项得分处理等）会让该考核期在所选单位（含下级）内哪些干部和班子的"
            "等次发生变化（原等次 → 新等次及新等次的依据）、最终等次分布的前后对比、新获与不再为优秀的干部，"
            "以及优秀名额有变化的单位。不写入任何数据。规则的校验与保存时相同（400 逐字段说明，字段名如 "
            "`rules[0].ratio`）；不影响等次的规则类型（复核申诉期限、召回与激励规则）为 400；单位不存在或"
            "不在调用者的管辖范围内为 404；无权修改评定规则的角色为 403。"
        ),
        request=WhatIfRequestSerializer,
        responses={200: WhatIfResultSerializer},
    )
    def post(self, request, pk: int):
        user = request.user
        period = period_get(user, pk)
        data = request.data if hasattr(request.data, "get") else {}
        unit_id = data.get("unit")
        if unit_id in (None, ""):
            unit_id = request.query_params.get("unit")
        unit = None
        if unit_id not in (None, ""):
            unit = (
                units_visible_to(user)
                .annotate(label=unit_label())
                .filter(pk=int_param(unit_id, "unit"))
                .first()
            )
            if unit is None:
                raise NotFound("单位不存在或不在您的管辖范围内。")
        limit = data.get("limit", DEFAULT_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, (int, str)):
            raise ValidationError({"limit": f"应为 1 到 {MAX_LIMIT} 之间的整数。"})
        try:
            limit = int(limit)
        except ValueError:
            raise ValidationError({"limit": f"应为 1 到 {MAX_LIMIT} 之间的整数。"}) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({"limit": f"应为 1 到 {MAX_LIMIT} 之间的整数。"})
        rules = data.get("rules")
        if rules is None or isinstance(rules, str):
            # a form post carries no list of objects: the rules are sent as JSON
            raise ValidationError({"rules": "请以 JSON 提交至少一条拟修改的规则。"})
        result = whatif_run(actor=user, period=period, rules=rules, unit=unit, limit=limit)
        return Response(WhatIfResultSerializer(result).data)


urlpatterns = [path("periods/<int:pk>/what-if/", WhatIfView.as_view(), name="period-what-if")]


def register(router) -> None:
    return None
