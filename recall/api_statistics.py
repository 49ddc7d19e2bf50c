"""``recall-statistics/``: the recall figures of a period and a unit subtree, as JSON or (with
``?format=xlsx``) as the page's workbook. Thin: the parameters go through the page's form, the
figures come from ``recall.statistics.recall_statistics``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from assessment.api import XlsxRenderer
from cadres.selectors import unit_label, units_visible_to
from core.xlsx import XLSX_CONTENT_TYPE

from .forms_statistics import StatisticsPeriodForm
from .statistics import recall_statistics
from .views_statistics import xlsx_download

# ------------------------------------------------------------------ the answer's shape


class _Named(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _Basis(serializers.Serializer):
    item = serializers.CharField(help_text="统计项目")
    rule = serializers.CharField(help_text="哪个日期落在统计期间内即计入")


class _LevelCount(serializers.Serializer):
    level = serializers.CharField(help_text="chu / ke / general")
    label = serializers.CharField(help_text="处级 / 科级 / 一般干部")
    count = serializers.IntegerField()


class _Recalls(serializers.Serializer):
    total = serializers.IntegerField(help_text="批准召回的案件数（人次）")
    by_level = _LevelCount(many=True)


class _OutcomePart(serializers.Serializer):
    outcome = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class _OutcomeLine(serializers.Serializer):
    key = serializers.CharField(help_text="如 back_to_post、transfer_or_removal（转岗或免职）、step_back")
    label = serializers.CharField()
    count = serializers.IntegerField()
    parts = _OutcomePart(many=True, help_text="合并行的组成，如转岗或免职 = 转岗 + 免职")


class _Outcomes(serializers.Serializer):
    total = serializers.IntegerField()
    lines = _OutcomeLine(many=True)


class _OutcomeColumn(serializers.Serializer):
    outcome = serializers.CharField()
    label = serializers.CharField()


class _CrossRow(serializers.Serializer):
    level = serializers.CharField()
    label = serializers.CharField()
    counts = serializers.ListField(child=serializers.IntegerField(), help_text="与 columns 一一对应")
    total = serializers.IntegerField()


class _LevelOutcome(serializers.Serializer):
    columns = _OutcomeColumn(many=True)
    rows = _CrossRow(many=True)
    totals = serializers.ListField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class _StepBackRow(serializers.Serializer):
    key = serializers.CharField(help_text="removal / non_leading / retire / other")
    label = serializers.CharField()
    recalls = serializers.IntegerField(help_text="处理结果为退居二线的召回案件")
    adjustments = serializers.IntegerField(help_text="标明退居二线的已批准调整决定")
    count = serializers.IntegerField()


class _StepBack(serializers.Serializer):
    rows = _StepBackRow(many=True)
    recalls = serializers.IntegerField()
    adjustments = serializers.IntegerField()
    total = serializers.IntegerField()


class _Study(serializers.Serializer):
    classes = serializers.IntegerField(help_text="参加召回学习（人次）")
    cadre_days = serializers.IntegerField(help_text="学习天数合计（人·天）")


class _Penalties(serializers.Serializer):
    cadres = serializers.IntegerField(help_text="被扣发绩效奖励的干部（人）")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False, help_text="元")


class _UnitRow(serializers.Serializer):
    unit_id = serializers.IntegerField()
    name = serializers.CharField(help_text="单位名称；统计单位本身的干部一行标“（本级）”")
    own = serializers.BooleanField(help_text="统计单位本级（不含下级）")
    headcount = serializers.IntegerField(help_text="在册干部（含下级单位）")
    recalled = serializers.IntegerField()
    penalized = serializers.IntegerField()
    penalty_amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False)


class _UnitsTotal(serializers.Serializer):
    headcount = serializers.IntegerField()
    recalled = serializers.IntegerField()
    penalized = serializers.IntegerField()
    penalty_amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False)


class _MethodCount(serializers.Serializer):
    method = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    step_back = serializers.IntegerField(help_text="其中标明退居二线")


class _Adjustments(serializers.Serializer):
    total = serializers.IntegerField()
    step_back = serializers.IntegerField()
    by_method = _MethodCount(many=True)


class _Flags(serializers.Serializer):
    raised = serializers.IntegerField()
    reviewed = serializers.IntegerField()
    dismissed = serializers.IntegerField()
    decided = serializers.IntegerField(help_text="研判后提议召回或提出调整")


class RecallStatisticsSerializer(serializers.Serializer):
    scope = serializers.CharField(help_text="统计范围（单位名称，或“全部单位”）")
    unit = _Named(allow_null=True, help_text="统计单位：指定的单位，否则调用者所在单位；null 为全部单位")
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    period = _Named(allow_null=True, help_text="按考核期统计时的考核期")
    basis = _Basis(many=True)
    recalls = _Recalls()
    outcomes = _Outcomes()
    back_to_post = serializers.IntegerField()
    level_outcome = _LevelOutcome()
    step_back = _StepBack()
    study = _Study()
    frontline = serializers.IntegerField(help_text="安排一线岗位或重点项目锻炼（人次）")
    penalties = _Penalties()
    units = _UnitRow(many=True)
    units_total = _UnitsTotal()
    adjustments = _Adjustments()
    flags = _Flags()


# ------------------------------------------------------------------ the view


class RecallStatisticsView(APIView):
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, XlsxRenderer]

    @extend_schema(
        operation_id="recall_statistics",
        summary="干部召回情况统计",
        description=(
            "统计期间内调用者管辖范围（或指定单位及其下级）的召回人数（按干部层级）、处理结果"
            "（转岗或免职合并一行）、退居二线（召回处理结果加标明退居二线的调整决定）、召回学习、"
            "扣发绩效奖励、分单位情况、组织调整和预警研判。期间用 `year`、`date_from`+`date_to` "
            "或 `period`（考核期所在年度）之一指定，都不给为本年度；各项按哪个日期计入见 `basis`。"
            "`format=xlsx` 下载同样内容的 Excel 表。无效的 unit、year、date_from、date_to、period 为 400"
            "（逐字段说明）；单位不存在或不在调用者的管辖范围内为 404。"
        ),
        parameters=[
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
            OpenApiParameter("year", int, description="年度，如 2014"),
            OpenApiParameter("date_from", str, description="开始日期 YYYY-MM-DD（与 date_to 一起）"),
            OpenApiParameter("date_to", str, description="结束日期 YYYY-MM-DD（含当天）"),
            OpenApiParameter("period", int, description="考核期 id：统计其所在的自然年度"),
            OpenApiParameter("format", str, enum=["json", "xlsx"], description="xlsx：下载 Excel"),
        ],
        responses={
            (200, "application/json"): RecallStatisticsSerializer,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        user = request.user
        unit = None
        if request.query_params.get("unit"):
            try:
                pk = int(request.query_params["unit"])
            except ValueError:
                raise ValidationError({"unit": "单位应为整数 id。"}) from None
            unit = units_visible_to(user).annotate(label=unit_label()).filter(pk=pk).first()
            if unit is None:
                raise NotFound("单位不存在或不在您的管辖范围内。")
        form = StatisticsPeriodForm(request.query_params)
        if not form.is_valid():
            errors = form.errors.get_json_data()
            fields = {k: [e["message"] for e in v] for k, v in errors.items() if k != "__all__"}
            if "__all__" in errors:
                fields["non_field_errors"] = [e["message"] for e in errors["__all__"]]
            raise ValidationError(fields)
        stats = recall_statistics(user, unit=unit, **form.statistics_kwargs())
        if request.accepted_renderer.format == "xlsx":
            return xlsx_download(stats)
        return Response(RecallStatisticsSerializer(stats).data)

    def handle_exception(self, exc):
        # an error asked for as xlsx is still the JSON error shape
        if getattr(getattr(self.request, "accepted_renderer", None), "format", None) == "xlsx":
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
