"""``care-records/`` (关爱记录: GET, POST, PATCH) and ``care-due/`` (关爱提醒: GET) of the public API.
Thin: reads through incentives.selectors_care (scoped to the caller: a record outside the subtree
is a 404 like a missing one), writes through incentives.services_care. Bad input is a 400 with
``fields`` (Chinese), a role without ``manage_incentives`` writing a 403."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from cadres.selectors import cadres_visible_to
from core.api import call_service, choice_param, int_param, year_param
from core.api_fields import LabelChoiceField

from .. import services_care as services
from ..models import CareKind, CareRecord, VisitOccasion
from ..selectors_care import DueKind, care_due, care_record_rows, care_records_visible_to
from .common import unit_filter


class CarePermission(permissions.BasePermission):
    """Every signed-in role reads (within scope); writes need ``manage_incentives``."""

    message = "您的角色无权登记关爱记录。"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.can("manage_incentives")


class OccasionField(LabelChoiceField):
    """The visit's occasion by label or code; blank for the kinds that have none."""

    def to_internal_value(self, data):
        if data in ("", None) and self.allow_blank:
            return ""
        return super().to_internal_value(data)


class CareRecordSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    unit = serializers.IntegerField(
        source="unit_id", read_only=True, help_text="单位 id（登记时干部所在单位）"
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    kind = LabelChoiceField(CareKind, help_text="类别（名称或代码）：" + "、".join(CareKind.labels))
    kind_code = serializers.CharField(source="kind", read_only=True)
    occasion = OccasionField(
        VisitOccasion,
        required=False,
        allow_blank=True,
        help_text="走访慰问的时机（七一、春节、其他）：走访慰问必填，其他类别留空",
    )
    days = serializers.IntegerField(required=False, allow_null=True, help_text="休假天数：带薪休假必填")
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, help_text="金额（元），不小于 0"
    )
    date = serializers.DateField(help_text="日期，不能晚于今天")
    content = serializers.CharField(allow_blank=True, help_text="内容（必填）")
    by_whom = serializers.CharField(required=False, allow_blank=True, help_text="经办人或慰问人")
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = CareRecord
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "unit",
            "unit_name",
            "kind",
            "kind_code",
            "occasion",
            "date",
            "days",
            "amount",
            "content",
            "by_whom",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "cadre_name", "unit", "unit_name", "kind_code", "created_by", "created_at"]

    def get_created_by(self, obj) -> str:
        return str(obj.created_by)


class CareRecordPatchSerializer(CareRecordSerializer):
    class Meta(CareRecordSerializer.Meta):
        read_only_fields = [*CareRecordSerializer.Meta.read_only_fields, "cadre"]


RECORD_FILTERS = [
    OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
    OpenApiParameter("kind", str, description="类别（名称或代码）：" + "、".join(CareKind.values)),
    OpenApiParameter("year", int, description="年度（按日期）"),
    OpenApiParameter("cadre", int, description="干部 id"),
]


@extend_schema_view(
    list=extend_schema(summary="关爱记录", description="新的在前。", parameters=RECORD_FILTERS),
    retrieve=extend_schema(summary="关爱记录详情"),
    create=extend_schema(
        summary="登记关爱记录",
        description="谈心谈话、走访慰问（须 occasion）、年度体检、带薪休假（须 days）、困难帮扶、离任村干部走访"
        "（须已登记离任）。离任村干部生活补贴在页面上登记发放，不能在此新增。日期不能晚于今天，金额不小于 0。",
    ),
    partial_update=extend_schema(
        summary="修改关爱记录",
        description="未给出的字段保持不变；干部不能修改；生活补贴发放记录不能修改。",
        request=CareRecordPatchSerializer,
    ),
)
class CareRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CareRecordSerializer
    permission_classes = [CarePermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return CareRecordPatchSerializer if self.action == "partial_update" else CareRecordSerializer

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return care_records_visible_to(user).select_related("cadre", "unit", "created_by")
        p = self.request.query_params
        unit = unit_filter(user, p)
        if unit is False:
            return CareRecord.objects.none()
        cadre = None
        if p.get("cadre"):
            cadre = cadres_visible_to(user).filter(pk=int_param(p["cadre"], "cadre")).first()
            if cadre is None:
                return CareRecord.objects.none()
        return care_record_rows(
            user,
            unit=unit,
            kind=choice_param(CareKind, p["kind"], "kind") if p.get("kind") else "",
            year=year_param(p["year"]) if p.get("year") else None,
            cadre=cadre,
        ).select_related("unit")

    @staticmethod
    def _fields(data: dict) -> dict:
        return {k: v for k, v in data.items() if k in services.RECORD_FIELDS}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = dict(serializer.validated_data)
        user = request.user
        cadre = cadres_visible_to(user).select_related("unit").filter(pk=v.pop("cadre_id")).first()
        if cadre is None:
            raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
        record = call_service(services.care_record_create, actor=user, cadre=cadre, **self._fields(v))
        record = self.get_queryset().get(pk=record.pk)
        return Response(CareRecordSerializer(record).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        record = self.get_object()
        serializer = self.get_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        record = call_service(
            services.care_record_update,
            actor=request.user,
            record=record,
            **self._fields(dict(serializer.validated_data)),
        )
        record = self.get_queryset().get(pk=record.pk)
        return Response(CareRecordSerializer(record).data)


# --------------------------------------------------------------------------- care due


class ReasonSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="适用的规则（关爱标准）")
    effect = serializers.CharField(help_text="结论")
    facts = serializers.DictField(help_text="依据的事实")


class CareDueSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="提醒类别代码：" + "、".join(DueKind.values))
    kind_label = serializers.CharField()
    cadre = serializers.IntegerField(source="cadre.pk", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name")
    unit_name = serializers.CharField()
    effect = serializers.CharField(help_text="提醒内容")
    reasons = ReasonSerializer(many=True)
    departure = serializers.IntegerField(source="departure.pk", allow_null=True, default=None)
    owed_months = serializers.IntegerField(source="owed.months", allow_null=True, default=None)
    owed_amount = serializers.DecimalField(
        source="owed.amount", max_digits=14, decimal_places=2, allow_null=True, default=None
    )


class CareDueView(GenericAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = CareDueSerializer
    filter_backends: list = []

    def get_queryset(self):
        """The reminders as a list, worked out once per request (the browsable API's page asks
        for them a second time)."""
        if not hasattr(self, "_rows"):
            p = self.request.query_params
            kind = choice_param(DueKind, p["kind"], "kind") if p.get("kind") else ""
            unit = unit_filter(self.request.user, p)
            self._rows = [] if unit is False else care_due(self.request.user, unit=unit or None, kind=kind)
        return self._rows

    @extend_schema(
        summary="关爱提醒",
        description="本年度（1 月 1 日至今）按各单位关爱标准核对：艰苦边远岗位干部未走访慰问、未体检、带薪休假不足，"
        "以及离任村干部生活补贴待发放。每行一名干部一项提醒，reasons 说明规则与事实。",
        parameters=[
            OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
            OpenApiParameter("kind", str, description="提醒类别（代码或名称）：" + "、".join(DueKind.values)),
        ],
        responses={200: CareDueSerializer(many=True)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CareDueSerializer(page, many=True).data)


def register(router) -> None:
    router.register("care-records", CareRecordViewSet, basename="care-record")


urlpatterns = [path("care-due/", CareDueView.as_view(), name="care-due")]
