"""``recall-situations/`` (the 惰政 catalogue, not scoped) and ``recall-points/`` (记分制: recording a
situation may propose a recall, which the answer says)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api_fields import LabelChoiceField

from .. import selectors, services
from ..models import (
    Cause,
    PointRecord,
    Situation,
    SituationGroup,
)
from .common import (
    CadreIdNumberField,
    FullIdNumbers,
    RecallPermission,
    cadre_in_scope,
    call_service,
    choice_param,
    int_param,
    situation_by_code_or_id,
    unit_filter,
)


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
        group = choice_param(SituationGroup, p["group"], "group") if p.get("group") else ""
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
        unit = unit_filter(user, p)
        if unit is False:
            return PointRecord.objects.none()
        cadre_id = int_param(p["cadre"], "cadre") if p.get("cadre") else None
        return selectors.point_list(user, unit=unit, cadre_id=cadre_id)

    def create(self, request, *args, **kwargs):
        serializer = PointRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        cadre = cadre_in_scope(user, v["cadre"])
        record, case = call_service(
            services.points_record,
            actor=user,
            cadre=cadre,
            situation=situation_by_code_or_id(v["situation"]),
            detail=v.get("detail", ""),
            occurred_on=v.get("occurred_on"),
        )
        record = selectors.point_list(user).get(pk=record.pk)
        self.record_view([record], f"接口 {self.where}/ 记分")
        context = {**self.get_serializer_context(), "case": case}
        return Response(
            PointRecordCreatedSerializer(record, context=context).data, status=status.HTTP_201_CREATED
        )
