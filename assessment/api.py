"""``periods/``, ``periods/{id}/recompute/``, ``assessments/`` and ``grade-reports/`` of the public
API (see ../shared/API.md). Thin: reads through the selectors (scoped to the caller), every write
through one service of ``services/periods.py`` or ``services/scores.py``.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import content_disposition_header, parse_etags
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from audit.services import audit_view
from cadres import idnumber
from cadres import selectors as cadre_selectors
from cadres.models import CadreKind
from core.api import Conflict, choice_param, int_param, year_param
from core.api_fields import LabelChoiceField
from core.jobs import DELAYED_MESSAGE
from core.models import Job
from core.xlsx import XLSX_CONTENT_TYPE

from . import reports, selectors
from .models import (
    GRADE_CODES,
    VOTE_NAMES,
    Assessment,
    Dimension,
    Grade,
    ImportBatch,
    ImportStatus,
    Indicator,
    IndicatorGroup,
    Period,
    PeriodStatus,
    Scheme,
)
from .services.recompute import recompute_request
from .tracks import TrackField
from .votes import vote_errors

# Periods whose results are official: a change is an audited correction with a reason.
CLOSED_STATUSES = (PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED)


def _api_errors(exc: DjangoValidationError, rename: dict[str, str] | None = None):
    if hasattr(exc, "error_dict"):
        rename = {"__all__": "non_field_errors", **(rename or {})}
        raise ValidationError({rename.get(k, k): v for k, v in exc.message_dict.items()}) from None
    raise ValidationError({"non_field_errors": exc.messages}) from None


class ReadOrCapability(permissions.BasePermission):
    """Every signed-in role reads (within scope); writes need one of ``view.write_capabilities``.
    The services check the exact capability of each write again."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if any(user.can(c) for c in view.write_capabilities):
            return True
        self.message = view.write_denied_message
        return False


class CanManageAssessment(permissions.BasePermission):
    message = "您的角色无权重新计算考核等次。"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.can("manage_assessment"))


# ------------------------------------------------------------------ periods


class IndicatorSerializer(serializers.ModelSerializer):
    group = LabelChoiceField(IndicatorGroup)
    track = TrackField()
    dimension = LabelChoiceField(Dimension)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False)
    min_score = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)

    class Meta:
        model = Indicator
        fields = ["code", "name", "group", "track", "dimension", "weight", "min_score", "max_score"]


class SchemeDetailSerializer(serializers.ModelSerializer):
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Scheme
        fields = ["id", "name", "quarterly", "indicators"]


class PeriodSerializer(serializers.ModelSerializer):
    quarter = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=4, help_text="1–4；年度考核为 null"
    )
    scheme = serializers.IntegerField(
        source="scheme_id", read_only=True, allow_null=True, help_text="考核方案 id"
    )
    scheme_detail = SchemeDetailSerializer(source="scheme", read_only=True, allow_null=True)
    status = LabelChoiceField(PeriodStatus, required=False)
    status_code = serializers.CharField(source="status", read_only=True)

    class Meta:
        model = Period
        fields = [
            "id",
            "name",
            "year",
            "quarter",
            "scheme",
            "scheme_detail",
            "status",
            "status_code",
            "computed_at",
            "published_at",
            "created_at",
        ]
        read_only_fields = ["id", "computed_at", "published_at", "created_at"]
        # uniqueness (one annual period per year …) is the service's rule, with its message
        validators: list = []


class PeriodPatchSerializer(serializers.Serializer):
    status = LabelChoiceField(PeriodStatus)


JOB_RESPONSE = inline_serializer(
    "RecomputeJob",
    {
        "job": serializers.UUIDField(),
        "state": serializers.CharField(),
        "url": serializers.CharField(help_text="任务状态地址 /api/v1/jobs/{id}/"),
    },
)


class XlsxTemplateRenderer(BaseRenderer):
    """Lets a browser's Accept header reach ``periods/{id}/template.xlsx``; errors render as JSON."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


@extend_schema_view(
    list=extend_schema(
        summary="考核期列表",
        parameters=[
            OpenApiParameter("year", int, description="年度"),
            OpenApiParameter("status", str, description="状态（名称或代码）"),
        ],
    ),
    retrieve=extend_schema(summary="考核期详情（含考核方案指标）"),
    create=extend_schema(summary="新建考核期（草稿，复制默认考核方案）"),
    partial_update=extend_schema(
        summary="推进考核期环节",
        request=PeriodPatchSerializer,
        description="只接受 `status`：草稿→采集评分→评定等次→已公布→已归档（评定等次可退回采集评分）。"
        "公布、归档须部长/分管负责人。",
    ),
)
class PeriodViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PeriodSerializer
    permission_classes = [ReadOrCapability]
    write_capabilities = ("manage_assessment",)
    write_denied_message = "您的角色无权管理考核期。"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = selectors.periods_visible_to(self.request.user).prefetch_related("scheme__indicators")
        if self.action != "list":
            return qs
        p = self.request.query_params
        if p.get("year"):
            qs = qs.filter(year=year_param(p["year"]))
        if p.get("status"):
            qs = qs.filter(status=choice_param(PeriodStatus, p["status"], "status"))
        # the annual period first within a year, on SQLite and PostgreSQL alike
        return qs.order_by("-year", F("quarter").desc(nulls_first=True), "-id")

    def _fresh(self, period: Period) -> Period:
        return (
            selectors.periods_visible_to(self.request.user)
            .prefetch_related("scheme__indicators")
            .get(pk=period.pk)
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        from .services.periods import period_create, period_transition

        try:
            with transaction.atomic():
                period = period_create(
                    actor=request.user, name=v["name"], year=v["year"], quarter=v.get("quarter")
                )
                # a status given with the new period is the first step (草稿 → 采集评分)
                if v.get("status") and v["status"] != period.status:
                    period = period_transition(actor=request.user, period=period, to=v["status"])
        except DjangoValidationError as exc:
            _api_errors(exc, {"to": "status"})
        return Response(self.get_serializer(self._fresh(period)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        period = self.get_object()
        serializer = PeriodPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refused = set(request.data) - {"status"}
        if refused:
            raise ValidationError(dict.fromkeys(sorted(refused), "考核期只能通过 status 推进环节。"))
        from .services.periods import period_transition

        to = serializer.validated_data["status"]
        if to != period.status:
            try:
                period = period_transition(actor=request.user, period=period, to=to)
            except DjangoValidationError as exc:
                _api_errors(exc, {"to": "status"})
        return Response(self.get_serializer(self._fresh(period)).data)

    @extend_schema(
        summary="下载评分表模板",
        description="按考核方案生成的 Excel 评分表，预填该单位（含下级）的干部。",
        parameters=[OpenApiParameter("unit", int, required=True, description="单位 id")],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiResponse(description="xlsx 文件")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XlsxTemplateRenderer])
    def template(self, request, pk=None, format=None):
        from django.http import HttpResponse

        from .services.imports import template_build, template_filename

        period = self.get_object()
        if not request.user.can("import_sheets"):
            raise PermissionDenied("您的角色无权导入评分表。")
        unit_id = request.query_params.get("unit")
        if unit_id in (None, ""):
            raise ValidationError({"unit": "请指定单位 id（?unit=）。"})
        unit = (
            cadre_selectors.units_visible_to(request.user)
            .annotate(label=cadre_selectors.unit_label())
            .filter(pk=int_param(unit_id, "unit"))
            .first()
        )
        if unit is None:
            raise NotFound("单位不存在或不在您的管辖范围内。")
        content = template_build(user=request.user, period=period, unit=unit)
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        from urllib.parse import quote

        response["Content-Disposition"] = (
            f"attachment; filename*=UTF-8''{quote(template_filename(period, unit))}"
        )
        return response

    @extend_schema(
        summary="重新计算考核期等次",
        description="排队一次重新计算（可只算某单位及其下级）；返回任务，进度见 `jobs/{id}/`。"
        "只有采集评分、评定等次阶段的考核期可以重新计算，其余返回 409。",
        request=inline_serializer(
            "RecomputeRequest",
            {
                "unit": serializers.IntegerField(
                    required=False, help_text="单位 id（含下级）；省略为本人管辖范围"
                )
            },
        ),
        responses={202: JOB_RESPONSE},
    )
    @action(detail=True, methods=["post"], permission_classes=[CanManageAssessment])
    def recompute(self, request, pk=None):
        period = self.get_object()
        user = request.user
        if user.scope_path is None:
            raise PermissionDenied("您的账号未设置所属单位，无法重新计算。")
        data = request.data if hasattr(request.data, "get") else {}
        unit_id = data.get("unit") or request.query_params.get("unit")
        unit = None
        if unit_id not in (None, ""):
            unit = cadre_selectors.units_visible_to(user).filter(pk=int_param(unit_id, "unit")).first()
            if unit is None:
                raise NotFound("单位不存在或不在您的管辖范围内。")
        # over the unit, else over the caller's whole subtree (the same door as the page's button)
        job = recompute_request(actor=user, period=period, unit=unit, reason="接口请求重新计算")
        if job is None:
            raise Conflict(
                f"考核期“{period.name}”为“{period.get_status_display()}”状态，不能重新计算；"
                "只有采集评分、评定等次阶段的考核期才会重新计算等次。"
            )
        # with tasks running in-process the job may already have finished
        state = Job.objects.filter(pk=job.pk).values_list("state", flat=True).first() or job.state
        body = {"job": str(job.pk), "state": state, "url": reverse("api-job", kwargs={"pk": job.pk})}
        body["delayed"] = job.delayed  # the broker refused its message: it runs once it is back
        if job.delayed:
            body["message"] = DELAYED_MESSAGE
        return Response(body, status=status.HTTP_202_ACCEPTED)


# ------------------------------------------------------------------ assessments


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "number", "nullable": True}, "example": {"德": 92}}
)
class ScoresField(serializers.Field):
    """Indicator scores, ``{列名: 分数}``. Validated by the scores service (range, known codes)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise ValidationError('应为对象，如 {"德": 92, "绩": 88}。')
        return {str(k): v for k, v in data.items()}

    def to_representation(self, value):
        return {code: _number(v) for code, v in (value or {}).items()}


def _number(value):
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return value
    if not number.is_finite():
        return value
    return int(number) if number == number.to_integral_value() else float(number)


@extend_schema_field({"type": "integer", "minimum": 0, "nullable": True, "example": 3})
class VoteField(serializers.Field):
    """One 民主测评 vote count. Any value is handed to the scores service, which checks it (a
    whole number, 0 or more; the five together or none) and names the field in its message."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, **kwargs)

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


def _vote_api_errors(exc: DjangoValidationError, rename: dict[str, str] | None = None):
    """``_api_errors`` with each vote problem of a ``scores_save`` refusal under its field."""
    on_votes = {field: message for fields in vote_errors(exc).values() for field, message in fields.items()}
    if not on_votes:
        _api_errors(exc, rename)
    rest = {
        key: [m for m in messages if m not in on_votes.values()] for key, messages in exc.message_dict.items()
    }
    fields = {k: v for k, v in rest.items() if v} | {f: [m] for f, m in on_votes.items()}
    _api_errors(DjangoValidationError(fields), rename)


class ExplanationSerializer(serializers.Serializer):
    rule = serializers.CharField()
    effect = serializers.CharField()
    facts = serializers.CharField()


class AssessmentSerializer(serializers.ModelSerializer):
    period = serializers.IntegerField(source="period_id", help_text="考核期 id")
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    unit = serializers.IntegerField(source="unit_id", read_only=True, help_text="考核单位 id")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    track = TrackField(required=False, allow_blank=True)
    scores = ScoresField(required=False, help_text="指标得分 {列名: 分数}")
    total_score = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, read_only=True, allow_null=True
    )
    computed_grade = serializers.CharField(read_only=True)
    final_grade = serializers.ChoiceField(
        choices=Grade.choices,
        required=False,
        allow_blank=True,
        help_text="修改时为调整等次（须 override_reason）；空字符串取消调整",
    )
    explanation = ExplanationSerializer(many=True, read_only=True)
    override_reason = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="已公布考核期的更正理由（必填）"
    )
    votes_excellent = VoteField(help_text="民主测评优秀票")
    votes_competent = VoteField(help_text="民主测评称职票")
    votes_basic = VoteField(help_text="民主测评基本称职票")
    votes_incompetent = VoteField(help_text="民主测评不称职票")
    votes_abstain = VoteField(help_text="民主测评弃权票")
    votes_total = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="民主测评总票数（含弃权票）；未录入票数为 null"
    )
    votes_incompetent_share = serializers.SerializerMethodField(
        help_text="不称职票占总票数（含弃权票）的比例，保留 4 位小数；未录入票数为 null"
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "period",
            "cadre",
            "cadre_name",
            "unit",
            "unit_name",
            "track",
            "scores",
            "total_score",
            "rank_in_unit",
            "computed_grade",
            "final_grade",
            "grade_code",
            "explanation",
            "review_required",
            "override_reason",
            "reason",
            *VOTE_NAMES,
            "votes_total",
            "votes_incompetent_share",
            "updated_at",
        ]
        read_only_fields = ["id", "rank_in_unit", "grade_code", "review_required", "updated_at"]
        validators: list = []

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_votes_incompetent_share(self, obj):
        share = obj.votes_incompetent_share
        return None if share is None else round(float(share), 4)


def _given_votes(validated: dict) -> dict | None:
    """{field: value} of the vote counts a request names (null clears one), or None."""
    votes = {name: validated[name] for name in VOTE_NAMES if name in validated}
    return votes or None


VOTES_DOC = (
    "\n\n民主测评票数：`votes_excellent`（优秀票）、`votes_competent`（称职票）、`votes_basic`（基本称职票）、"
    "`votes_incompetent`（不称职票）、`votes_abstain`（弃权票），只改给出的项，null 清除该项。"
    "票数为 0 或正整数；五项须都有值（没有的填 0）或都为 null（未录入）。"
    "负数、小数、文字或只填部分项返回 400，错误列在对应字段下，什么也不写入。"
    "`votes_total`、`votes_incompetent_share`（不称职票 ÷ 五项合计，含弃权票）只读。"
)

ASSESSMENT_FILTERS = [
    OpenApiParameter("period", int, description="考核期 id"),
    OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
    OpenApiParameter("cadre", int, description="干部 id"),
    OpenApiParameter("grade", str, description="最终等次，如 优秀"),
]


@extend_schema_view(
    list=extend_schema(summary="考核结果列表", parameters=ASSESSMENT_FILTERS),
    retrieve=extend_schema(summary="考核结果详情"),
    create=extend_schema(
        summary="录入一名干部的指标得分",
        description="按（考核期，干部）录入或更新得分：已有考核记录时更新并返回 200，否则新建并返回 201。"
        "分数超出范围或列名未知返回 400，什么也不写入。" + VOTES_DOC,
    ),
    partial_update=extend_schema(
        summary="修改得分、民主测评票数或调整等次",
        description="`scores`（只改给出的列）和 `track` 经评分服务保存并重新计算；"
        "`final_grade` + `override_reason` 为调整等次。已公布的考核期须带 `reason`，作为更正留痕。"
        + VOTES_DOC,
    ),
)
class AssessmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AssessmentSerializer
    permission_classes = [ReadOrCapability]
    write_capabilities = ("enter_scores", "manage_assessment")
    write_denied_message = "您的角色无权录入评分或调整等次。"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        qs = selectors.assessments_visible_to(user).select_related("cadre", "unit", "period")
        if self.action != "list":
            return qs
        p = self.request.query_params
        if p.get("period"):
            qs = qs.filter(period_id=int_param(p["period"], "period"))
        if p.get("unit"):
            unit = cadre_selectors.units_visible_to(user).filter(pk=int_param(p["unit"], "unit")).first()
            if unit is None:
                return Assessment.objects.none()
            qs = qs.filter(unit__path__startswith=unit.path)
        if p.get("cadre"):
            qs = qs.filter(cadre_id=int_param(p["cadre"], "cadre"))
        if p.get("grade"):
            qs = qs.filter(final_grade=choice_param(Grade, p["grade"], "grade"))
        return qs.order_by("period_id", "unit__path", "rank_in_unit", "id")

    def _fresh(self, pk) -> Assessment:
        return (
            selectors.assessments_visible_to(self.request.user)
            .select_related("cadre", "unit", "period")
            .get(pk=pk)
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        period = selectors.periods_visible_to(user).filter(pk=v["period_id"]).first()
        if period is None:
            raise ValidationError({"period": "考核期不存在。"})
        cadre = cadre_selectors.cadres_visible_to(user).filter(pk=v["cadre_id"]).first()
        if cadre is None:
            raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
        if period.status in CLOSED_STATUSES:
            raise Conflict(f"考核期“{period.name}”已{period.get_status_display()}，不能再录入得分。")
        entry = {"cadre": cadre, "scores": v.get("scores", {}), "key": "scores"}
        if "track" in v:
            entry["track"] = v["track"]
        votes = _given_votes(v)
        if votes:
            entry["votes"] = votes
        from .services.scores import scores_save

        try:
            result = scores_save(actor=user, period=period, entries=[entry], source="接口录入")
        except DjangoValidationError as exc:
            _vote_api_errors(exc)
        assessment = Assessment.objects.filter(period=period, cadre=cadre).first()
        if assessment is None:
            # nothing was given for a cadre without a record: there is nothing to show
            raise ValidationError({"scores": "请至少填写一项得分。"})
        code = status.HTTP_201_CREATED if result.get("created") else status.HTTP_200_OK
        return Response(self.get_serializer(self._fresh(assessment.pk)).data, status=code)

    def partial_update(self, request, *args, **kwargs):
        assessment = self.get_object()
        serializer = self.get_serializer(assessment, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        moved = {
            field: "考核期和干部不能修改；请新建考核记录。"
            for field, attr in (("period", "period_id"), ("cadre", "cadre_id"))
            if attr in v and v[attr] != getattr(assessment, attr)
        }
        if moved:
            raise ValidationError(moved)
        votes = _given_votes(v)
        if not {"scores", "track", "final_grade"} & set(v) and votes is None:
            raise ValidationError(
                {
                    "non_field_errors": [
                        "请提供要修改的内容：scores、track、民主测评票数（votes_*）或 final_grade（及 override_reason）。"
                    ]
                }
            )
        # scores_save and assessment_correct keep the codes (and counts) left out: PATCH changes
        # only what it names
        scores = v.get("scores")
        from .services import scores as score_services

        if assessment.period.status in CLOSED_STATUSES:
            reason = (v.get("reason") or v.get("override_reason") or "").strip()
            if not reason:
                raise ValidationError({"reason": "已公布的考核结果只能更正，须填写更正理由（reason）。"})
            try:
                score_services.assessment_correct(
                    actor=user,
                    assessment=assessment,
                    reason=reason,
                    scores=scores,
                    grade=v.get("final_grade"),
                    votes=votes,
                )
            except DjangoValidationError as exc:
                _api_errors(exc, {"grade": "final_grade"})
            return Response(self.get_serializer(self._fresh(assessment.pk)).data)
        try:
            with transaction.atomic():
                if scores is not None or "track" in v or votes is not None:
                    entry = {"cadre": assessment.cadre_id, "scores": scores or {}, "key": "scores"}
                    if "track" in v:
                        entry["track"] = v["track"]
                    if votes is not None:
                        entry["votes"] = votes
                    score_services.scores_save(
                        actor=user, period=assessment.period, entries=[entry], source="接口录入"
                    )
                if "final_grade" in v:
                    score_services.assessment_override(
                        actor=user,
                        assessment=assessment,
                        grade=v["final_grade"],
                        reason=v.get("override_reason") or v.get("reason") or "",
                    )
        except DjangoValidationError as exc:
            _vote_api_errors(exc, {"grade": "final_grade", "reason": "override_reason"})
        return Response(self.get_serializer(self._fresh(assessment.pk)).data)


# ------------------------------------------------------------------ grade reports


class XlsxRenderer(BaseRenderer):
    """Lets ``?format=xlsx`` (and the matching Accept header) select the spreadsheet branch of
    ``grade-reports/``; the view writes the file itself, so this only ever renders errors."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class GradeReportRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="考核结果 id")
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    unit = serializers.IntegerField(source="unit_id", help_text="考核单位 id")
    unit_name = serializers.CharField(source="unit__name")
    unit_label = serializers.CharField(help_text="单位名称；与其他单位重名时附上级单位，如 光明村（城关镇）")
    name = serializers.CharField(source="cadre__name")
    id_number = serializers.CharField(help_text="身份证号；无权查看的角色得到脱敏值")
    track = TrackField(allow_blank=True)
    total_score = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    rank_in_unit = serializers.IntegerField(allow_null=True)
    grade = serializers.CharField(source="final_grade", help_text="最终等次")
    grade_code = serializers.IntegerField(allow_null=True)
    review_required = serializers.BooleanField()
    explanation = ExplanationSerializer(many=True)

    def to_representation(self, instance):
        instance = {
            **instance,
            "id_number": reports.id_number_for(
                instance["cadre__id_number"], full=self.context.get("full_id_numbers", False)
            ),
        }
        return super().to_representation(instance)


_OFFSET_WITHOUT_PLUS = re.compile(r" (\d{2}(?::?\d{2})?)$")


def _datetime(value: str, field: str) -> datetime.datetime:
    """An ISO 8601 time (``2025-06-01T08:00:00+08:00``, ``…Z``, or a date: its midnight);
    without an offset, Beijing time. A ``+`` sent unencoded in a query reads as a space."""
    text = _OFFSET_WITHOUT_PLUS.sub(r"+\1", value.strip())
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = datetime.datetime.combine(day, datetime.time())
    if moment is None:
        raise ValidationError({field: f"无效的时间“{value}”，应如 2025-06-01T08:00:00+08:00 或 2025-06-01。"})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in {t.removeprefix("W/") for t in tags}


@extend_schema_view(
    list=extend_schema(
        summary="考核等次报表（每名干部一行）",
        description="按单位、单位内排名排序。`format=xlsx` 下载同样内容的 Excel 表（全部行，不分页，边生成边下载）。"
        "JSON 每页带 `ETag`：带 `If-None-Match` 再次请求，该页各行与总数都未变时答 304（无正文）。"
        "`updated_since` 只取此时刻以来（含此刻）总分、排名、等次、等次代码、依据或待复核有变化的行，"
        "供省级平台增量拉取。",
        parameters=[
            OpenApiParameter("period", int, required=True, description="考核期 id"),
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
            OpenApiParameter("grade", str, description="最终等次，如 优秀"),
            OpenApiParameter("grade_code", int, description="等次代码，如 1（优秀）"),
            OpenApiParameter("kind", str, description="干部类别（代码或名称），如 general / 一般干部"),
            OpenApiParameter("cadre", int, description="干部 id；管辖范围外的干部得到空列表"),
            OpenApiParameter(
                "updated_since",
                str,
                description="ISO 8601 时间，如 2025-06-01T08:00:00+08:00；不带时区按北京时间，只给日期为当日零时",
            ),
            OpenApiParameter(
                "fields",
                str,
                enum=["a15"],
                description="a15：按干部管理信息系统 A15 年度考核信息集给出（A0101 姓名、A0184 身份证号、A1521 考核年度、"
                "A1517 考核结论类别代码及名称、不定等次或未参加考核原因）；代码表在管理后台维护；仅年度考核期",
            ),
            OpenApiParameter("format", str, enum=["json", "xlsx"], description="xlsx：下载 Excel"),
        ],
        responses={
            200: GradeReportRowSerializer(many=True),
            304: OpenApiResponse(description="If-None-Match 与本页 ETag 相同：内容未变"),
            400: OpenApiResponse(
                description="缺少或无效的 period、grade、grade_code、kind、cadre、updated_since"
            ),
        },
    )
)
class GradeReportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Thin: parse the filters, page ``reports.ReportRows``, render with orjson. A JSON page
    carries a strong ETag of its bytes and the caller's scope and masking; a matching
    ``If-None-Match`` answers 304 (the page is still read: the ETag is of what it would be)."""

    serializer_class = GradeReportRowSerializer
    filter_backends: list = []
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, XlsxRenderer]

    def _params(self):
        p = self.request.query_params
        user = self.request.user
        if not p.get("period"):
            raise ValidationError({"period": "请指定考核期（period=考核期 id）。"})
        try:
            period = selectors.period_visible(user, int(p["period"]))
        except (TypeError, ValueError):
            raise ValidationError({"period": "考核期 id 应为整数。"}) from None
        if period is None:
            raise ValidationError({"period": "考核期不存在。"})
        grade_code = None
        if p.get("grade_code"):
            grade_code = int_param(p["grade_code"], "grade_code")
            if grade_code not in GRADE_CODES.values():
                known = "、".join(f"{code}（{grade}）" for grade, code in GRADE_CODES.items())
                raise ValidationError({"grade_code": f"无效的等次代码“{p['grade_code']}”。可选值：{known}"})
        filters = reports.ReportFilters(
            grade=choice_param(Grade, p["grade"], "grade") if p.get("grade") else "",
            grade_code=grade_code,
            kind=choice_param(CadreKind, p["kind"], "kind") if p.get("kind") else "",
            cadre=int_param(p["cadre"], "cadre") if p.get("cadre") else None,
            updated_since=_datetime(p["updated_since"], "updated_since") if p.get("updated_since") else None,
        )
        unit = None
        if p.get("unit"):
            pk = int_param(p["unit"], "unit")
            if self.request.accepted_renderer.format == "xlsx":  # the label names it in the title
                units = cadre_selectors.units_visible_to(user).filter(pk=pk)
                unit = units.annotate(label=cadre_selectors.unit_label()).first()
            else:
                unit = cadre_selectors.unit_visible(user, pk)
            if unit is None:
                raise NotFound("单位不存在或不在您的管辖范围内。")
        self.a15 = self._a15(period)
        return period, unit, filters

    def _a15(self, period) -> bool:
        fields = self.request.query_params.get("fields", "")
        if fields not in ("", "a15"):
            raise ValidationError({"fields": f"无效的取值“{fields}”。可选值：a15"})
        if fields and not period.is_annual:
            raise ValidationError({"fields": "A15（年度考核）只适用于年度考核期。"})
        return bool(fields)

    def get_queryset(self):
        period, unit, filters = self._params()
        return reports.report_queryset(self.request.user, period=period, unit=unit, filters=filters)

    def _full_id_numbers(self) -> bool:
        user = self.request.user
        return bool(user and user.is_authenticated and user.can("view_id_number"))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["full_id_numbers"] = self._full_id_numbers()
        return context

    def list(self, request, *args, **kwargs):
        period, unit, filters = self._params()
        full = self._full_id_numbers()
        if request.accepted_renderer.format == "xlsx":
            qs = reports.report_queryset(request.user, period=period, unit=unit, filters=filters)
            return self._xlsx(qs, period, unit, filters.grade, full)
        root = unit.path if unit is not None else request.user.scope_path
        render = reports.a15_renderer(year=period.year, full_id_numbers=full) if self.a15 else None
        json = request.accepted_renderer.format == "json"
        rows = reports.ReportRows(
            period=period,
            root_path=root,
            filters=filters,
            full_id_numbers=full,
            render=render,
            fragments=json,
        )
        page = self.paginate_queryset(rows)
        data = {
            "count": self.paginator.page.paginator.count,
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "results": page,
        }
        if not json:
            response = Response(data)  # the browsable API
        else:
            body = orjson.dumps(data)
            etag = reports.report_etag(body, scope_path=request.user.scope_path, full_id_numbers=full)
            if _etag_matches(request.headers.get("If-None-Match"), etag):
                response = HttpResponseNotModified()
                response["ETag"] = etag
                patch_vary_headers(response, ["Authorization"])
                return response  # nothing shown: no audit entry
            response = HttpResponse(body, content_type="application/json")
            response["ETag"] = etag
        patch_vary_headers(response, ["Authorization"])
        if full:
            shown = [(r["cadre"], r["A0101" if self.a15 else "name"]) for r in page]
            audit_view(actor=request.user, cadres=shown, where="接口 grade-reports/")
        return response

    def _xlsx(self, qs, period, unit, grade, full):
        user = self.request.user
        scope = unit.label if unit else (user.unit.name if user.unit_id else "全部单位")
        what = "考核结论（A15）" if self.a15 else "考核等次"
        title = f"{period.titled(what)}（{scope}{'，' + grade if grade else ''}）"
        root = unit.path if unit else user.scope_path
        labels = reports.unit_labels(root) if root is not None else {}
        rows = reports.plain_rows(reports.row_values(qs).iterator(chunk_size=2000))
        shown: list[tuple[int, str]] | None = [] if full else None

        def content():
            try:
                if self.a15:
                    yield from reports.a15_xlsx(
                        rows, title=title, year=period.year, full_id_numbers=full, labels=labels, shown=shown
                    )
                else:
                    yield from reports.grade_report_xlsx(
                        rows, title=title, full_id_numbers=full, labels=labels, shown=shown
                    )
            finally:
                if shown:  # the cadres written with their full ID numbers, for the audit trail
                    audit_view(actor=user, cadres=shown, where=f"导出 {title}")

        filename = f"{period.titled(what)}-{scope}.xlsx"
        response = StreamingHttpResponse(content(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def handle_exception(self, exc):
        # an error asked for as xlsx is still the JSON error shape
        if getattr(getattr(self.request, "accepted_renderer", None), "format", None) == "xlsx":
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


# ------------------------------------------------------------------ Excel imports


class ImportJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["id", "state", "done", "total"]


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="表格中的行号；整表错误为 null")
    column = serializers.CharField(allow_blank=True, help_text="列标题")
    message = serializers.CharField()


# an ID number as a sheet may give it: 18 characters (or the old 15 digits) in a message
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{14}(?:[0-9]{3})?[0-9Xx](?![0-9A-Za-z])")


def _mask_id_numbers(text: str) -> str:
    return _ID_NUMBER_IN_TEXT.sub(lambda m: idnumber.mask(m.group()), text)


class ImportBatchSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    uploaded_by = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    job = ImportJobSerializer(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "status",
            "status_label",
            "message",
            "period",
            "unit",
            "original_name",
            "size",
            "sha256",
            "uploaded_by",
            "created_at",
            "committed_at",
            "rows_total",
            "rows_ok",
            "rows_new",
            "rows_changed",
            "rows_unchanged",
            "errors",
            "job",
            "audit_batch",
            "url",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_uploaded_by(self, obj):
        user = obj.uploaded_by
        return None if user is None else user.username

    @extend_schema_field(ImportErrorSerializer(many=True))
    def get_errors(self, obj):
        # Every role reads the batches of its scope here; the messages quote the sheet's ID
        # numbers (unknown_id), masked for the roles that may not see them.
        request = self.context.get("request")
        full = bool(request and request.user.can("view_id_number"))
        return [
            {
                "row": e.get("row"),
                "column": e.get("column", ""),
                "message": e["message"] if full else _mask_id_numbers(e["message"]),
            }
            for e in obj.errors
        ]

    @extend_schema_field(serializers.CharField())
    def get_url(self, obj):
        return reverse("assessment:import_detail", kwargs={"pk": obj.pk})


class ImportKeptSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="指标列名")
    name = serializers.CharField(help_text="指标名称")


class ImportReadingSerializer(serializers.Serializer):
    column = serializers.CharField(help_text="列标题")
    text = serializers.CharField(help_text="单元格中的文字，如“８５分”")
    value = serializers.CharField(help_text="读作的数字，如 85")
    rows = serializers.ListField(child=serializers.IntegerField(), help_text="前几处的行号")
    count = serializers.IntegerField(help_text="共几处")


class ImportBatchDetailSerializer(ImportBatchSerializer):
    """One batch (upload answer, ``imports/{id}/``) with what the preview says about the
    sheet's columns; the list leaves the preview unread."""

    kept_indicators = serializers.SerializerMethodField(
        help_text="表中没有对应列、导入时保留系统中原有得分的指标；导入前须确认（keep_missing=true）"
    )
    ignored_columns = serializers.SerializerMethodField(help_text="未识别、已忽略的列标题")
    readings = serializers.SerializerMethodField(help_text="以文字填写、按数字读取的得分单元格")

    class Meta(ImportBatchSerializer.Meta):
        fields = [*ImportBatchSerializer.Meta.fields, "kept_indicators", "ignored_columns", "readings"]

    @extend_schema_field(ImportKeptSerializer(many=True))
    def get_kept_indicators(self, obj):
        return (obj.preview or {}).get("kept") or []

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_ignored_columns(self, obj):
        return (obj.preview or {}).get("ignored") or []

    @extend_schema_field(ImportReadingSerializer(many=True))
    def get_readings(self, obj):
        return (obj.preview or {}).get("readings") or []


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="评分表：.xlsx / .xlsm / .xls / .csv")
    period = serializers.IntegerField(help_text="考核期 id")
    unit = serializers.IntegerField(required=False, allow_null=True, help_text="单位 id；省略为本人管辖范围")
    sheet = serializers.CharField(required=False, allow_blank=True, help_text="工作表名称；省略时按表头识别")
    keep_missing = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true：确认表中没有对应列的指标保留系统中原有得分（也可作查询参数）",
    )


class CanImportSheets(permissions.BasePermission):
    message = "您的角色无权导入评分表。"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.can("import_sheets")


@extend_schema_view(
    list=extend_schema(
        summary="评分表导入记录",
        parameters=[
            OpenApiParameter("period", int, description="考核期 id"),
            OpenApiParameter("status", str, description="状态代码"),
        ],
    ),
    retrieve=extend_schema(summary="导入批次的状态与进度"),
)
class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Uploads of assessment sheets: every write through ``services/imports.py``."""

    serializer_class = ImportBatchSerializer
    permission_classes = [CanImportSheets]
    filter_backends: list = []

    def get_serializer_class(self):
        return ImportBatchSerializer if self.action == "list" else ImportBatchDetailSerializer

    def get_queryset(self):
        from .selectors import import_batches_visible_to

        qs = import_batches_visible_to(self.request.user).select_related("uploaded_by", "job")
        if self.action != "list":
            return qs
        p = self.request.query_params
        if p.get("period"):
            qs = qs.filter(period_id=int_param(p["period"], "period"))
        if p.get("status"):
            qs = qs.filter(status=choice_param(ImportStatus, p["status"], "status"))
        return qs.defer("preview").order_by("-created_at", "-id")

    @extend_schema(
        summary="上传评分表",
        description="multipart：`file` + `period`（+ `unit`、`sheet`）。无错误的表立即导入（201）；"
        "`?commit=false` 只校验不写入。超过异步阈值的大表排入后台任务（202），进度见 `imports/{id}/`。"
        "有错误的表返回 400 及逐行错误，不写入任何数据；文件过大 413，非表格文件 415。"
        "表中缺少考核方案某指标的列时：若表中干部都已有该指标的得分，须加 `keep_missing=true` 确认保留原有得分，"
        "否则 400（`missing_columns`，批次保持“已校验”，不写入）；若有干部尚无该指标得分，为整表错误。",
        request={"multipart/form-data": ImportUploadSerializer},
        parameters=[
            OpenApiParameter("commit", bool, description="false：只校验"),
            OpenApiParameter("keep_missing", bool, description="true：确认缺列的指标保留原有得分"),
        ],
        responses={
            201: ImportBatchDetailSerializer,
            202: ImportBatchDetailSerializer,
            400: ImportBatchDetailSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        from .services.imports import ImportRejected, import_start

        form = ImportUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        v = form.validated_data
        user = request.user
        period = selectors.periods_visible_to(user).filter(pk=v["period"]).first()
        if period is None:
            raise ValidationError({"period": "考核期不存在。"})
        unit = None
        if v.get("unit") is not None:
            unit = cadre_selectors.units_visible_to(user).filter(pk=v["unit"]).first()
            if unit is None:
                raise ValidationError({"unit": "单位不存在或不在您的管辖范围内。"})
        upload = v["file"]
        commit = request.query_params.get("commit", "true").lower() not in ("false", "0", "no")
        keep_missing = v.get("keep_missing") or request.query_params.get("keep_missing", "").lower() in (
            "true",
            "1",
            "yes",
        )
        from .services.imports import confirmation_needed, max_bytes

        if upload.size > max_bytes():
            return self._refused(
                None, "too_large", f"文件过大，上限为 {max_bytes() // 1024 // 1024} MB。", 413
            )
        try:
            batch = import_start(
                actor=user,
                period=period,
                unit=unit,
                data=upload.read(),
                filename=upload.name,
                commit=commit,
                sheet=v.get("sheet") or None,
                keep_missing=keep_missing,
            )
        except ImportRejected as exc:
            return self._refused(exc.batch, exc.code, exc.message, exc.status)
        except DjangoValidationError as exc:
            _api_errors(exc)
        batch = self.get_queryset().get(pk=batch.pk)
        data = self.get_serializer(batch).data
        if batch.status == ImportStatus.INVALID:
            first = batch.errors[0] if batch.errors else {}
            where = f"第{first['row']}行 " if first.get("row") else ""
            data["error"] = {
                "code": "invalid_sheet",
                "message": f"评分表有 {len(batch.errors)} 处错误，未写入任何数据。首个错误：{where}{first.get('message', '')}",
                "fields": {},
            }
            return Response(data, status=status.HTTP_400_BAD_REQUEST)
        refused = confirmation_needed(batch, keep_missing) if commit else ""
        if refused and batch.status == ImportStatus.VALIDATED:
            data["error"] = {
                "code": "missing_columns",
                "message": f"{refused}如确认，请加参数 keep_missing=true 重新提交。",
                "fields": {},
            }
            return Response(data, status=status.HTTP_400_BAD_REQUEST)
        if batch.status in (ImportStatus.PENDING, ImportStatus.VALIDATING):
            return Response(data, status=status.HTTP_202_ACCEPTED)
        if batch.status == ImportStatus.FAILED:
            return Response(data, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        return Response(data, status=status.HTTP_201_CREATED)

    def _refused(self, batch, code: str, message: str, http_status: int) -> Response:
        body = {"error": {"code": code, "message": message, "fields": {}}}
        if batch is not None:
            body.update(self.get_serializer(batch).data)
        else:
            body.update({"id": None, "status": ImportStatus.INVALID, "rows_total": 0, "rows_ok": 0})
            body["errors"] = [{"row": None, "column": "", "message": message}]
        return Response(body, status=http_status)
