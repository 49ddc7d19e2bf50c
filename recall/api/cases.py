"""``recall-cases/``: propose, read (steps, facts, suggested treatment) and drive the steps with
``PATCH {"action": ..., fields of that step}``, each calling one service of recall.services."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assessment import selectors as assessment_selectors
from cadres.models import Rank
from core.api_fields import LabelChoiceField

from .. import selectors, services
from ..models import (
    Attendance,
    CadreLevel,
    CaseSource,
    Cause,
    Outcome,
    RecallCase,
    RecallStep,
    Result,
    Stage,
)
from .common import (
    CadreIdNumberField,
    FactsField,
    FullIdNumbers,
    RecallPermission,
    cadre_in_scope,
    call_service,
    choice_param,
    date_field,
    int_param,
    situation_by_code_or_id,
    text_field,
    unit_filter,
    user_name,
)


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
        return user_name(obj.approved_by)


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


class RecallCaseActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=list(CASE_ACTION_LABELS.items()),
        help_text="办理的步骤：" + "；".join(f"{k} {v}" for k, v in CASE_ACTION_LABELS.items()),
    )
    note = text_field(
        help_text="approve/reject：审批意见（reject 必填）；follow_up：考察意见；outcome：处理说明"
    )
    approved_on = date_field("approve/reject：审批日期，默认当天")
    where = text_field(help_text="publicize：公开范围（必填），如 机关单位、报刊电视、网络媒体")
    publicized_on = date_field("publicize：公开日期，默认当天")
    study_start = date_field("study：学习班开始日期（必填）")
    study_end = date_field("study：学习班结束日期（必填）；天数须在规定范围内（默认 2–5 天）")
    study_content = text_field(help_text="study：学习内容（必填）")
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
    penalty_note = text_field(help_text="penalize：说明")
    penalized_on = date_field("penalize：处理日期，默认当天")
    result = LabelChoiceField(Result, required=False, help_text="follow_up：考察结果（必填）")
    discipline_officer = text_field(help_text="follow_up：纪检部门考察人（必填）")
    org_officer = text_field(help_text="follow_up：组织部门考察人（必填，与纪检考察人不同）")
    followup_on = date_field("follow_up：考察日期，默认当天")
    outcome = LabelChoiceField(Outcome, required=False, help_text="outcome：处理结果（必填）")
    outcome_on = date_field("outcome：处理日期，默认当天")
    new_post_title = text_field(help_text="outcome：新任职务（转岗、降职时必填）")
    new_rank = LabelChoiceField(
        Rank, required=False, allow_blank=True, help_text="outcome：新职级（降职、降级时必填）"
    )
    frontline_post = text_field(help_text="outcome=frontline：锻炼岗位或项目")
    frontline_start = date_field("outcome=frontline：锻炼开始日期，默认为处理日期")
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
                filters[param] = choice_param(enum, p[param], param)
        if p.get("cadre"):
            filters["cadre_id"] = int_param(p["cadre"], "cadre")
        unit = unit_filter(user, p)
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
        cadre = cadre_in_scope(user, v["cadre"])
        situation = situation_by_code_or_id(v["situation"]) if v.get("situation") else None
        flag = period = None
        if v.get("flag") is not None:
            flag = selectors.flags_visible_to(user).filter(pk=v["flag"]).first()
            if flag is None:
                raise ValidationError({"flag": "预警不存在或不在您的管辖范围内。"})
        if v.get("period") is not None:
            period = assessment_selectors.periods_visible_to(user).filter(pk=v["period"]).first()
            if period is None:
                raise ValidationError({"period": "考核期不存在。"})
        case = call_service(
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
        call_service(service, actor=request.user, case=case, **given)
        return self._detail(self.get_queryset().get(pk=case.pk))
