"""``recall-cases/``, ``flags/``, ``adjustments/``, ``recall-situations/`` and ``recall-points/`` of
the public API (see ../shared/API.md). Thin: reads through ``selectors`` (scoped to the caller: an
object outside the subtree is a 404 like a missing one), every write through one service. A PATCH
names its step (``action``) and carries that step's fields; a step out of order is a 409
``step_out_of_order`` with the service's Chinese message, bad input a 400 with ``fields``, a role
that may not take the step a 403 saying who may."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from assessment import selectors as assessment_selectors
from audit.services import audit_view
from cadres import selectors as cadre_selectors
from cadres.models import Rank
from core.api import Conflict
from core.api_fields import LabelChoiceField, resolve_choice

from . import selectors, services, services_flags
from .errors import StepError
from .models import (
    AdjustmentDecision,
    AdjustmentMethod,
    Attendance,
    CadreLevel,
    CaseSource,
    Cause,
    DecisionStatus,
    Flag,
    FlagStatus,
    Outcome,
    PointRecord,
    RecallCase,
    RecallStep,
    Result,
    Situation,
    SituationGroup,
    Stage,
)

# --------------------------------------------------------------------------- plumbing


class RecallPermission(permissions.BasePermission):
    """Every signed-in role reads (within scope); writes need ``manage_recall``. The services
    check the exact capability of each step again (approving takes ``approve``)."""

    message = "您的角色无权办理干部召回。"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.can("manage_recall")


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "应为整数 id。"}) from None


def _choice(enum, value: str, field: str) -> str:
    code = resolve_choice(enum, value)
    if code is None:
        raise ValidationError({field: f"无效的取值“{value}”。可选值：" + "、".join(enum.labels)})
    return code


def _unit_filter(user, params):
    """The ``?unit=`` filter: the unit in scope, or False for a unit outside (an empty list)."""
    if not params.get("unit"):
        return None
    unit = cadre_selectors.units_visible_to(user).filter(pk=_int(params["unit"], "unit")).first()
    return unit if unit is not None else False


def _call(service, **kwargs):
    """Run one service: its StepError is a 409 ``step_out_of_order``, its PermissionDenied a 403
    saying why; its ValidationError reaches core.api's handler as a 400 with ``fields``."""
    try:
        return service(**kwargs)
    except StepError as exc:
        raise Conflict(str(exc), code="step_out_of_order") from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from None


def _cadre_in_scope(user, pk):
    cadre = cadre_selectors.cadres_visible_to(user).select_related("unit").filter(pk=pk).first()
    if cadre is None:
        raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
    return cadre


def _situation(value, field: str = "situation") -> Situation:
    """A situation of the catalogue by its code (C01) or its id."""
    text = str(value).strip()
    found = None
    if text:
        found = Situation.objects.filter(code=text).first()
        if found is None and text.isascii() and text.isdigit() and len(text) < 10:
            found = Situation.objects.filter(pk=int(text)).first()
    if found is None:
        raise ValidationError({field: f"惰政情形“{text}”不存在（可填编号如 C01，或 id）。"})
    return found


class FullIdNumbers:
    """Roles that may see full ID numbers get them, and the view is on the record (who, when,
    which cadres); the others get the masked number, as in ``cadres/``."""

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        context["full_id_numbers"] = bool(user and user.is_authenticated and user.can("view_id_number"))
        return context

    def record_view(self, objects, where: str) -> None:
        if self.get_serializer_context()["full_id_numbers"]:
            seen = {o.cadre_id: o.cadre.name for o in objects}
            audit_view(actor=self.request.user, cadres=list(seen.items()), where=where)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        self.record_view(page, f"接口 {self.where}/ 列表")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_field(OpenApiTypes.STR)
class CadreIdNumberField(serializers.Field):
    """The cadre's ID number: full for roles that may see it, masked (320102********1234) else."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "cadre")
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", "干部身份证号；无权查看的角色得到脱敏值，如 320102********1234")
        super().__init__(**kwargs)

    def to_representation(self, cadre):
        full = self.context.get("full_id_numbers", False)
        return cadre.id_number if full else cadre.masked_id_number


def _user_name(user) -> str | None:
    return str(user) if user is not None else None


FACTS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "label": {"type": "string", "description": "事实（如 2025年度考核）"},
            "value": {"description": "取值（如 不称职）"},
            "ref": {
                "type": "object",
                "additionalProperties": True,
                "description": "来源记录，如 {model, id}",
            },
        },
        "additionalProperties": True,
    },
}


@extend_schema_field(FACTS_SCHEMA)
class FactsField(serializers.Field):
    """What a case or a flag rests on: ``[{label, value, ref?}]``. On input, label and value
    are required text; a client cannot point at records (``ref``)."""

    MAX = 50

    def to_representation(self, value):
        return value or []

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise ValidationError('应为列表：[{"label": 事实, "value": 取值}]。')
        if len(data) > self.MAX:
            raise ValidationError(f"事实依据最多 {self.MAX} 条。")
        facts = []
        for number, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise ValidationError(f"第 {number} 条应为对象 {{label, value}}。")
            label, value = item.get("label"), item.get("value")
            if not isinstance(label, str) or not label.strip() or not isinstance(value, str | int | float):
                raise ValidationError(f"第 {number} 条须有文字 label 和 value。")
            value = str(value).strip()
            if len(label) > 200 or len(value) > 500 or "\x00" in label + value:
                raise ValidationError(f"第 {number} 条过长或含有不允许的字符。")
            facts.append({"label": label.strip(), "value": value})
        return facts


# --------------------------------------------------------------------------- recall cases


class TreatmentSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="建议的处理方式（分类施策）")
    why = serializers.CharField(help_text="依据")


class RecallStepSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    data = serializers.DictField(help_text="该步骤登记的内容")

    class Meta:
        model = RecallStep
        fields = ["step", "label", "actor", "at", "on", "data", "note"]

    def get_actor(self, obj) -> str:
        return str(obj.actor)


class RecallCaseSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name")
    cadre_id_number = CadreIdNumberField()
    unit = serializers.IntegerField(source="unit_id", help_text="所在单位 id")
    unit_name = serializers.CharField(source="unit.name")
    level = LabelChoiceField(CadreLevel)
    level_code = serializers.ChoiceField(source="level", choices=CadreLevel.choices)
    source = LabelChoiceField(CaseSource)
    source_code = serializers.ChoiceField(source="source", choices=CaseSource.choices)
    situation = serializers.IntegerField(source="situation_id", allow_null=True, help_text="惰政情形 id")
    situation_code = serializers.CharField(source="situation.code", default=None, allow_null=True)
    situation_name = serializers.CharField(source="situation.name", default=None, allow_null=True)
    flag = serializers.IntegerField(source="flag_id", allow_null=True, help_text="来源预警 id")
    period = serializers.IntegerField(source="period_id", allow_null=True, help_text="依据的考核期 id")
    cause = LabelChoiceField(Cause)
    cause_code = serializers.ChoiceField(source="cause", choices=Cause.choices)
    facts = FactsField()
    stage = LabelChoiceField(Stage)
    stage_code = serializers.ChoiceField(source="stage", choices=Stage.choices)
    next_step = serializers.SerializerMethodField()
    treatment = serializers.SerializerMethodField()
    proposed_by = serializers.SerializerMethodField()
    approved_by = serializers.SerializerMethodField()
    study_days = serializers.IntegerField(allow_null=True)
    attendance = LabelChoiceField(Attendance, allow_blank=True)
    study_fee = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    bonus_withheld = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    followup_result = LabelChoiceField(Result, allow_blank=True)
    frontline_result = LabelChoiceField(Result, allow_blank=True)
    outcome = LabelChoiceField(Outcome, allow_blank=True)
    outcome_code = serializers.ChoiceField(source="outcome", choices=Outcome.choices, allow_blank=True)
    new_rank = LabelChoiceField(Rank, allow_blank=True)

    class Meta:
        model = RecallCase
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "cadre_id_number",
            "unit",
            "unit_name",
            "level",
            "level_code",
            "source",
            "source_code",
            "situation",
            "situation_code",
            "situation_name",
            "flag",
            "period",
            "cause",
            "cause_code",
            "reason",
            "facts",
            "treatment",
            "stage",
            "stage_code",
            "next_step",
            "status_before",
            "proposed_by",
            "proposed_on",
            "approved_by",
            "approved_on",
            "approval_note",
            "publicized_on",
            "publicized_where",
            "study_start",
            "study_end",
            "study_days",
            "study_content",
            "attendance",
            "study_fee",
            "bonus_withheld",
            "bonus_withheld_full",
            "penalty_note",
            "followup_on",
            "followup_result",
            "followup_discipline_officer",
            "followup_org_officer",
            "followup_note",
            "frontline_post",
            "frontline_start",
            "frontline_months",
            "frontline_result",
            "frontline_checked_on",
            "frontline_discipline_officer",
            "frontline_org_officer",
            "outcome",
            "outcome_code",
            "outcome_on",
            "outcome_note",
            "new_post_title",
            "new_rank",
            "basic_salary_only",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_next_step(self, obj) -> str:
        return services.NEXT_STEP[Stage(obj.stage)]

    @extend_schema_field(TreatmentSerializer)
    def get_treatment(self, obj):
        title, why = services.treatment_for(obj)
        return {"title": title, "why": why}

    def get_proposed_by(self, obj) -> str:
        return str(obj.proposed_by)

    def get_approved_by(self, obj) -> str | None:
        return _user_name(obj.approved_by)


class RecallCaseDetailSerializer(RecallCaseSerializer):
    steps = RecallStepSerializer(many=True, read_only=True, help_text="办理步骤：谁、何时、做了什么")

    class Meta(RecallCaseSerializer.Meta):
        fields = [*RecallCaseSerializer.Meta.fields, "steps"]
        read_only_fields = fields


class RecallCaseProposeSerializer(serializers.Serializer):
    cadre = serializers.IntegerField(help_text="干部 id")
    source = LabelChoiceField(CaseSource, help_text="召回依据（名称或代码）：" + "、".join(CaseSource.values))
    reason = serializers.CharField(required=False, allow_blank=True, help_text="召回理由（必填）")
    cause = LabelChoiceField(
        Cause,
        required=False,
        allow_blank=True,
        help_text="问题性质（名称或代码）；按惰政情形提议时默认为情形的性质",
    )
    situation = serializers.CharField(
        required=False, allow_blank=True, help_text="惰政情形编号（如 C01）或 id；召回依据为惰政情形时必填"
    )
    flag = serializers.IntegerField(required=False, allow_null=True, help_text="预警 id；依据为预警时必填")
    period = serializers.IntegerField(
        required=False, allow_null=True, help_text="已公布的年度考核期 id；依据为考核等次时必填"
    )
    facts = FactsField(required=False, help_text="补充的事实依据 [{label, value}]")
    proposed_on = serializers.DateField(required=False, allow_null=True, help_text="提议日期，默认当天")


# action -> (service, {request field: service argument})
CASE_ACTIONS = {
    "approve": (services.case_approve, {"note": "note", "approved_on": "on"}),
    "reject": (services.case_reject, {"note": "note", "approved_on": "on"}),
    "publicize": (services.case_publicize, {"where": "where", "publicized_on": "on"}),
    "study": (
        services.case_study,
        {
            "study_start": "start",
            "study_end": "end",
            "study_content": "content",
            "attendance": "attendance",
            "study_fee": "fee",
        },
    ),
    "penalize": (
        services.case_penalize,
        {
            "bonus_withheld": "amount",
            "bonus_withheld_full": "full",
            "penalty_note": "note",
            "penalized_on": "on",
        },
    ),
    "follow_up": (
        services.case_follow_up,
        {
            "result": "result",
            "discipline_officer": "discipline_officer",
            "org_officer": "org_officer",
            "note": "note",
            "followup_on": "on",
        },
    ),
    "outcome": (
        services.case_outcome,
        {
            "outcome": "outcome",
            "note": "note",
            "outcome_on": "on",
            "new_post_title": "new_post_title",
            "new_rank": "new_rank",
            "frontline_post": "frontline_post",
            "frontline_start": "frontline_start",
            "frontline_months": "frontline_months",
        },
    ),
}
CASE_ACTION_LABELS = {
    "approve": "批准召回（部长）",
    "reject": "不予批准（部长）",
    "publicize": "公开召回信息",
    "study": "登记召回学习班",
    "penalize": "登记扣发绩效奖励",
    "follow_up": "登记跟踪考察（或一线锻炼期满考察）",
    "outcome": "确定处理结果",
}


def _text(**kwargs):
    return serializers.CharField(required=False, allow_blank=True, **kwargs)


def _date(help_text: str):
    return serializers.DateField(required=False, allow_null=True, help_text=help_text)


class RecallCaseActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=list(CASE_ACTION_LABELS.items()),
        help_text="办理的步骤：" + "；".join(f"{k} {v}" for k, v in CASE_ACTION_LABELS.items()),
    )
    note = _text(help_text="approve/reject：审批意见（reject 必填）；follow_up：考察意见；outcome：处理说明")
    approved_on = _date("approve/reject：审批日期，默认当天")
    where = _text(help_text="publicize：公开范围（必填），如 机关单位、报刊电视、网络媒体")
    publicized_on = _date("publicize：公开日期，默认当天")
    study_start = _date("study：学习班开始日期（必填）")
    study_end = _date("study：学习班结束日期（必填）；天数须在规定范围内（默认 2–5 天）")
    study_content = _text(help_text="study：学习内容（必填）")
    attendance = LabelChoiceField(Attendance, required=False, help_text="study：出勤（必填）")
    study_fee = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="study：本人交纳的费用（元）",
    )
    bonus_withheld = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="penalize：扣发绩效奖励（元）",
    )
    bonus_withheld_full = serializers.BooleanField(required=False, help_text="penalize：扣发全年绩效奖励")
    penalty_note = _text(help_text="penalize：说明")
    penalized_on = _date("penalize：处理日期，默认当天")
    result = LabelChoiceField(Result, required=False, help_text="follow_up：考察结果（必填）")
    discipline_officer = _text(help_text="follow_up：纪检部门考察人（必填）")
    org_officer = _text(help_text="follow_up：组织部门考察人（必填，与纪检考察人不同）")
    followup_on = _date("follow_up：考察日期，默认当天")
    outcome = LabelChoiceField(Outcome, required=False, help_text="outcome：处理结果（必填）")
    outcome_on = _date("outcome：处理日期，默认当天")
    new_post_title = _text(help_text="outcome：新任职务（转岗、降职时必填）")
    new_rank = LabelChoiceField(
        Rank, required=False, allow_blank=True, help_text="outcome：新职级（降职、降级时必填）"
    )
    frontline_post = _text(help_text="outcome=frontline：锻炼岗位或项目")
    frontline_start = _date("outcome=frontline：锻炼开始日期，默认为处理日期")
    frontline_months = serializers.IntegerField(
        required=False, allow_null=True, help_text="outcome=frontline：锻炼期限（月，默认 1–6）"
    )

    def validate(self, attrs):
        action = attrs["action"]
        allowed = CASE_ACTIONS[action][1]
        stray = sorted(k for k in attrs if k != "action" and k not in allowed)
        if stray:
            label = CASE_ACTION_LABELS[action]
            raise ValidationError(dict.fromkeys(stray, f"该字段不属于“{label}”（{action}）步骤。"))
        return attrs


CASE_FILTERS = [
    OpenApiParameter("stage", str, description="环节（名称或代码）：" + "、".join(Stage.values)),
    OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
    OpenApiParameter("level", str, description="干部层级（名称或代码）：" + "、".join(CadreLevel.values)),
    OpenApiParameter("cause", str, description="问题性质（名称或代码）：" + "、".join(Cause.values)),
    OpenApiParameter("source", str, description="召回依据（名称或代码）：" + "、".join(CaseSource.values)),
    OpenApiParameter("cadre", int, description="干部 id"),
]


@extend_schema_view(
    list=extend_schema(summary="召回案件列表", parameters=CASE_FILTERS),
    retrieve=extend_schema(summary="召回案件详情（含办理步骤、事实依据、建议的处理方式）"),
    create=extend_schema(
        summary="提议召回",
        description="按惰政情形（`situation`）、考核等次（`period`）、预警（`flag`）或记分提议召回一名干部。"
        "该干部已有正在办理的案件、或预警已研判时返回 409。",
        request=RecallCaseProposeSerializer,
        responses={201: RecallCaseDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="办理召回案件的下一步",
        description="`action` 指明步骤，其余字段为该步骤登记的内容（字段说明前标有所属步骤）："
        "approve/reject（部长审批）→ publicize → study → penalize（可省略）→ follow_up → outcome；"
        "一线锻炼（outcome=frontline）期满后再 follow_up、outcome。步骤顺序不对返回 409 "
        "`step_out_of_order`，消息说明案件正在等待的步骤；内容有误返回 400 并逐字段说明。",
        request=RecallCaseActionSerializer,
        responses={200: RecallCaseDetailSerializer},
    ),
)
class RecallCaseViewSet(
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
    where = "recall-cases"

    def get_serializer_class(self):
        if self.action == "list":
            return RecallCaseSerializer
        if self.action == "create":
            return RecallCaseProposeSerializer
        if self.action == "partial_update":
            return RecallCaseActionSerializer
        return RecallCaseDetailSerializer

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return (
                selectors.cases_visible_to(user)
                .select_related("cadre", "unit", "situation", "proposed_by", "approved_by")
                .prefetch_related(Prefetch("steps", queryset=RecallStep.objects.select_related("actor")))
            )
        p = self.request.query_params
        filters: dict = {}
        for param, enum in (
            ("stage", Stage),
            ("level", CadreLevel),
            ("cause", Cause),
            ("source", CaseSource),
        ):
            if p.get(param):
                filters[param] = _choice(enum, p[param], param)
        if p.get("cadre"):
            filters["cadre_id"] = _int(p["cadre"], "cadre")
        unit = _unit_filter(user, p)
        if unit is False:
            return RecallCase.objects.none()
        return selectors.case_list(user, unit=unit, **filters).select_related("proposed_by", "approved_by")

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def _detail(self, case: RecallCase, code=status.HTTP_200_OK) -> Response:
        self.record_view([case], f"接口 {self.where}/ 详情")
        return Response(
            RecallCaseDetailSerializer(case, context=self.get_serializer_context()).data, status=code
        )

    def create(self, request, *args, **kwargs):
        serializer = RecallCaseProposeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        cadre = _cadre_in_scope(user, v["cadre"])
        situation = _situation(v["situation"]) if v.get("situation") else None
        flag = period = None
        if v.get("flag") is not None:
            flag = selectors.flags_visible_to(user).filter(pk=v["flag"]).first()
            if flag is None:
                raise ValidationError({"flag": "预警不存在或不在您的管辖范围内。"})
        if v.get("period") is not None:
            period = assessment_selectors.periods_visible_to(user).filter(pk=v["period"]).first()
            if period is None:
                raise ValidationError({"period": "考核期不存在。"})
        case = _call(
            services.case_propose,
            actor=user,
            cadre=cadre,
            source=v["source"],
            reason=v.get("reason", ""),
            cause=v.get("cause", ""),
            situation=situation,
            flag=flag,
            period=period,
            facts=v.get("facts"),
            on=v.get("proposed_on"),
        )
        return self._detail(self.get_queryset().get(pk=case.pk), status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        case = self.get_object()
        serializer = RecallCaseActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        service, arguments = CASE_ACTIONS[v["action"]]
        # a field left out is None: the service applies its default (today) or says what is missing
        given = {argument: v.get(field) for field, argument in arguments.items()}
        _call(service, actor=request.user, case=case, **given)
        return self._detail(self.get_queryset().get(pk=case.pk))


# --------------------------------------------------------------------------- the 惰政 catalogue


class SituationSerializer(serializers.ModelSerializer):
    group = LabelChoiceField(SituationGroup)
    group_code = serializers.ChoiceField(source="group", choices=SituationGroup.choices)
    cause = LabelChoiceField(Cause)
    cause_code = serializers.ChoiceField(source="cause", choices=Cause.choices)

    class Meta:
        model = Situation
        fields = [
            "id",
            "group",
            "group_code",
            "code",
            "name",
            "points",
            "cause",
            "cause_code",
            "order",
            "active",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="惰政情形目录（召回依据、记分分值）",
        parameters=[
            OpenApiParameter(
                "group", str, description="类别（名称或代码）：" + "、".join(SituationGroup.values)
            ),
            OpenApiParameter("active", bool, description="只列启用的情形"),
        ],
    ),
    retrieve=extend_schema(summary="惰政情形详情"),
)
class SituationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SituationSerializer
    filter_backends: list = []

    def get_queryset(self):
        p = self.request.query_params
        if self.action != "list":
            return selectors.situations()
        group = _choice(SituationGroup, p["group"], "group") if p.get("group") else ""
        return selectors.situations(group=group, active_only=p.get("active") in ("1", "true", "True"))


# --------------------------------------------------------------------------- points (记分制)


class PointRecordSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name")
    cadre_id_number = CadreIdNumberField()
    unit = serializers.IntegerField(source="unit_id", help_text="单位 id")
    unit_name = serializers.CharField(source="unit.name")
    situation = serializers.IntegerField(source="situation_id", help_text="惰政情形 id")
    situation_code = serializers.CharField(source="situation.code")
    situation_name = serializers.CharField(source="situation.name")
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = PointRecord
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "cadre_id_number",
            "unit",
            "unit_name",
            "situation",
            "situation_code",
            "situation_name",
            "points",
            "occurred_on",
            "detail",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_recorded_by(self, obj) -> str:
        return str(obj.recorded_by)


class PointRecordCreatedSerializer(PointRecordSerializer):
    case_proposed = serializers.SerializerMethodField(help_text="累计记分达到召回分值，已自动提议召回")
    case = serializers.SerializerMethodField(help_text="自动提议的召回案件 id，未提议时为 null")

    class Meta(PointRecordSerializer.Meta):
        fields = [*PointRecordSerializer.Meta.fields, "case_proposed", "case"]
        read_only_fields = fields

    def get_case_proposed(self, obj) -> bool:
        return self.context.get("case") is not None

    def get_case(self, obj) -> int | None:
        case = self.context.get("case")
        return case.pk if case is not None else None


class PointRecordInputSerializer(serializers.Serializer):
    cadre = serializers.IntegerField(help_text="干部 id")
    situation = serializers.CharField(help_text="惰政情形编号（如 S01）或 id")
    detail = serializers.CharField(required=False, allow_blank=True, help_text="具体事实（必填）")
    occurred_on = serializers.DateField(required=False, allow_null=True, help_text="发生日期，默认当天")


@extend_schema_view(
    list=extend_schema(
        summary="记分记录",
        parameters=[
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
            OpenApiParameter("cadre", int, description="干部 id"),
        ],
    ),
    create=extend_schema(
        summary="记分（记分制）",
        description="按惰政情形为干部记分；最近一个记分周期内累计达到召回分值时自动提议召回"
        "（已有正在办理的案件时不再提议），`case_proposed` 与 `case` 说明是否提议。",
        request=PointRecordInputSerializer,
        responses={201: PointRecordCreatedSerializer},
    ),
)
class PointRecordViewSet(
    FullIdNumbers, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = PointRecordSerializer
    permission_classes = [RecallPermission]
    filter_backends: list = []
    where = "recall-points"

    def get_queryset(self):
        user = self.request.user
        p = self.request.query_params
        unit = _unit_filter(user, p)
        if unit is False:
            return PointRecord.objects.none()
        cadre_id = _int(p["cadre"], "cadre") if p.get("cadre") else None
        return selectors.point_list(user, unit=unit, cadre_id=cadre_id)

    def create(self, request, *args, **kwargs):
        serializer = PointRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        cadre = _cadre_in_scope(user, v["cadre"])
        record, case = _call(
            services.points_record,
            actor=user,
            cadre=cadre,
            situation=_situation(v["situation"]),
            detail=v.get("detail", ""),
            occurred_on=v.get("occurred_on"),
        )
        record = selectors.point_list(user).get(pk=record.pk)
        self.record_view([record], f"接口 {self.where}/ 记分")
        context = {**self.get_serializer_context(), "case": case}
        return Response(
            PointRecordCreatedSerializer(record, context=context).data, status=status.HTTP_201_CREATED
        )


# --------------------------------------------------------------------------- flags and adjustments


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
        return _user_name(obj.reviewed_by)

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
    reason = _text(help_text="理由（必填）")
    new_post_title = _text(max_length=100, help_text="新任职务（平职调整、降职时必填）")
    new_rank = LabelChoiceField(Rank, required=False, allow_blank=True, help_text="新职级（降职时必填）")
    effective_on = serializers.DateField(required=False, allow_null=True, help_text="生效日期")
    step_back = serializers.BooleanField(required=False, help_text="退居二线")


class FlagActionSerializer(AdjustmentFieldsMixin):
    action = serializers.ChoiceField(
        choices=[(k, v[0]) for k, v in FLAG_ACTIONS.items()],
        help_text="dismiss 排除预警（须 reason）；decide 提出调整决定（须 method、reason），交部长审批",
    )
    reason = _text(help_text="dismiss：排除理由；decide：调整理由（均必填）")

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
                filters["status"] = _choice(FlagStatus, p["status"], "status")
            if p.get("rule"):
                filters["rule"] = p["rule"].strip()
            unit = _unit_filter(user, p)
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
            _call(services_flags.flag_dismiss, actor=request.user, flag=flag, reason=v.get("reason", ""))
        else:
            _call(
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
        return _user_name(obj.approved_by)


class AdjustmentProposeSerializer(AdjustmentFieldsMixin):
    cadre = serializers.IntegerField(help_text="干部 id")
    flag = serializers.IntegerField(required=False, allow_null=True, help_text="据以提出的预警 id（可选）")


ADJUSTMENT_ACTIONS = {"approve": "批准（部长）", "reject": "不予批准（部长，须 note）"}


class AdjustmentActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=list(ADJUSTMENT_ACTIONS.items()),
        help_text="approve 批准，干部名册随之更新；reject 不予批准（须 note）",
    )
    note = _text(help_text="审批意见（不予批准时必填）")


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
                filters["status"] = _choice(DecisionStatus, p["status"], "status")
            if p.get("method"):
                filters["method"] = _choice(AdjustmentMethod, p["method"], "method")
            unit = _unit_filter(user, p)
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
        cadre = _cadre_in_scope(user, v["cadre"])
        flag = None
        if v.get("flag") is not None:
            flag = selectors.flags_visible_to(user).filter(pk=v["flag"]).first()
            if flag is None:
                raise ValidationError({"flag": "预警不存在或不在您的管辖范围内。"})
        decision = _call(
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
        _call(service, actor=request.user, decision=decision, note=v.get("note", ""))
        return self._detail(self.get_queryset().get(pk=decision.pk))
