"""``leave-records/`` of the public API (请假记录: GET, POST, PATCH, DELETE). Thin: reads through
``cadres.selectors_leaves`` (scoped: a record outside the caller's subtree is a 404 like a missing
one), writes through ``cadres.services_leaves``. Bad input is a 400 with ``fields`` (Chinese), a
role without ``edit_registry`` writing a 403. A change regrades the open annual periods."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import call_service, int_param, read_or_capability
from core.api_fields import LabelChoiceField

from . import services_leaves as services
from .models import LeaveKind, LeaveRecord
from .selectors import cadres_visible_to
from .selectors_leaves import leave_days, leaves_visible_to

urlpatterns: list = []


LeavePermission = read_or_capability("edit_registry", "您的角色无权登记请假记录。")


class LeaveRecordSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    kind = LabelChoiceField(LeaveKind, help_text="请假类别（名称或代码）：" + "、".join(LeaveKind.labels))
    kind_code = serializers.CharField(source="kind", read_only=True)
    start_date = serializers.DateField(help_text="开始日期（不早于 2000 年）")
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="结束日期，不早于开始日期；仍在休假的为 null"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="说明")
    days = serializers.SerializerMethodField(help_text="请假天数（首尾两天都计入；仍在休假的计到今天）")

    class Meta:
        model = LeaveRecord
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "kind",
            "kind_code",
            "start_date",
            "end_date",
            "days",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "cadre_name", "kind_code", "days", "created_at"]

    def get_days(self, obj) -> int:
        return leave_days(obj)


class LeaveRecordUpdateSerializer(LeaveRecordSerializer):
    class Meta(LeaveRecordSerializer.Meta):
        read_only_fields = [*LeaveRecordSerializer.Meta.read_only_fields, "cadre"]


@extend_schema_view(
    list=extend_schema(
        summary="请假记录",
        description="开始日期新的在前。",
        parameters=[OpenApiParameter("cadre", int, description="干部 id")],
    ),
    retrieve=extend_schema(summary="请假记录详情"),
    create=extend_schema(
        summary="登记请假",
        description="同一干部的请假时间不能重叠（400，fields.start_date 说明与哪条记录重叠）。考核年度内请假"
        "累计超过评定规则规定的比例的，进行中的年度考核重新计算为不参加考核（或不定等次）。",
    ),
    partial_update=extend_schema(
        summary="修改请假记录",
        description="未给出的字段保持不变；干部不能修改。",
        request=LeaveRecordUpdateSerializer,
    ),
    destroy=extend_schema(summary="删除请假记录", description="删除记入全程纪实。"),
)
class LeaveRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LeaveRecordSerializer
    permission_classes = [LeavePermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        return LeaveRecordUpdateSerializer if self.action == "partial_update" else LeaveRecordSerializer

    def get_queryset(self):
        qs = leaves_visible_to(self.request.user).select_related("cadre", "cadre__unit")
        if self.action == "list" and self.request.query_params.get("cadre"):
            qs = qs.filter(cadre_id=int_param(self.request.query_params["cadre"], "cadre"))
        return qs.order_by("-start_date", "-id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = dict(serializer.validated_data)
        cadre = cadres_visible_to(request.user).select_related("unit").filter(pk=v.pop("cadre_id")).first()
        if cadre is None:
            raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
        leave = call_service(services.leave_create, actor=request.user, cadre=cadre, **v)
        leave = self.get_queryset().get(pk=leave.pk)
        return Response(LeaveRecordSerializer(leave).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        leave = self.get_object()
        serializer = self.get_serializer(leave, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        fields = {
            "kind": v.get("kind", leave.kind),
            "start_date": v.get("start_date", leave.start_date),
            "end_date": v.get("end_date", leave.end_date),
            "note": v.get("note", leave.note),
        }
        leave = call_service(services.leave_update, actor=request.user, leave=leave, **fields)
        leave = self.get_queryset().get(pk=leave.pk)
        return Response(LeaveRecordSerializer(leave).data)

    def destroy(self, request, *args, **kwargs):
        leave = self.get_object()
        call_service(services.leave_delete, actor=request.user, leave=leave)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("leave-records", LeaveRecordViewSet, basename="leave-record")
