"""``investigations/`` of the public API (立案审查: GET, POST, PATCH). Thin: reads through
``supervision.selectors.investigations`` (scoped: one outside the caller's subtree is a 404 like
a missing one), writes through ``supervision.services.investigations``. PATCH corrects an open
investigation, or with ``"action": "close"`` closes it. Bad input is a 400 with ``fields``
(Chinese), a role without ``edit_registry`` writing a 403."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from cadres.selectors import cadres_visible_to
from core.api import bool_param, call_service, int_param, read_or_capability
from core.api_fields import LabelChoiceField

from .models import Investigation, InvestigationOutcome
from .selectors.investigations import investigations_visible_to
from .services import investigations as services

urlpatterns: list = []


InvestigationPermission = read_or_capability("edit_registry", "您的角色无权登记立案审查。")


class InvestigationSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    opened_on = serializers.DateField(help_text="立案日期：不早于 2000 年，不晚于今天")
    authority = serializers.CharField(max_length=100, help_text="立案机关（必填），如：县纪委监委")
    reason = serializers.CharField(max_length=2000, help_text="立案事由（必填）")
    is_open = serializers.BooleanField(read_only=True, help_text="尚未结案：年度考核不定等次")
    closed_on = serializers.DateField(read_only=True, allow_null=True, help_text="结案日期；未结案为 null")
    outcome = LabelChoiceField(
        InvestigationOutcome, read_only=True, help_text="结案结果：给予处分、未予处分；未结案为空"
    )

    class Meta:
        model = Investigation
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "opened_on",
            "authority",
            "reason",
            "is_open",
            "closed_on",
            "outcome",
            "created_at",
        ]
        read_only_fields = ["id", "cadre_name", "is_open", "closed_on", "outcome", "created_at"]


class InvestigationPatchSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[("close", "结案")],
        required=False,
        help_text="close：结案（须 closed_on、outcome）；省略：修改未结案记录的 opened_on、authority、reason",
    )
    closed_on = serializers.DateField(required=False, help_text="结案日期：不早于立案日期，不晚于今天")
    outcome = LabelChoiceField(
        InvestigationOutcome, required=False, help_text="结案结果（名称或代码）：给予处分、未予处分"
    )
    opened_on = serializers.DateField(required=False)
    authority = serializers.CharField(required=False, max_length=100)
    reason = serializers.CharField(required=False, max_length=2000)


@extend_schema_view(
    list=extend_schema(
        summary="立案审查",
        description="立案日期新的在前。",
        parameters=[
            OpenApiParameter("cadre", int, description="干部 id"),
            OpenApiParameter("open", bool, description="true：只看尚未结案的；false：只看已结案的"),
        ],
    ),
    retrieve=extend_schema(summary="立案审查详情"),
    create=extend_schema(
        summary="登记立案审查",
        description="尚未结案的，进行中的年度考核重新计算为不定等次（评定规则“立案审查”）。",
    ),
    partial_update=extend_schema(
        summary="修改或结案",
        description='`{"action": "close", "closed_on": "2026-05-01", "outcome": "未予处分"}` 结案；'
        "结案后该干部按规定确定等次，给予处分的须另行登记处分（处分影响期规则适用）。"
        "不带 action 时修改未结案记录的立案日期、立案机关、立案事由。已结案的不能修改或重复结案（400）。",
        request=InvestigationPatchSerializer,
        responses={200: InvestigationSerializer},
    ),
)
class InvestigationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InvestigationSerializer
    permission_classes = [InvestigationPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return InvestigationPatchSerializer if self.action == "partial_update" else InvestigationSerializer

    def get_queryset(self):
        qs = investigations_visible_to(self.request.user).select_related("cadre", "cadre__unit")
        if self.action == "list":
            p = self.request.query_params
            if p.get("cadre"):
                qs = qs.filter(cadre_id=int_param(p["cadre"], "cadre"))
            if p.get("open"):
                qs = qs.filter(closed_on__isnull=bool_param(p["open"], "open"))
        return qs.order_by("-opened_on", "-id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = dict(serializer.validated_data)
        cadre = cadres_visible_to(request.user).select_related("unit").filter(pk=v.pop("cadre_id")).first()
        if cadre is None:
            raise ValidationError({"cadre": "干部不存在或不在您的管辖范围内。"})
        investigation = call_service(services.investigation_open, actor=request.user, cadre=cadre, **v)
        investigation = self.get_queryset().get(pk=investigation.pk)
        return Response(InvestigationSerializer(investigation).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        investigation = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        if v.get("action") == "close":
            call_service(
                services.investigation_close,
                actor=request.user,
                investigation=investigation,
                closed_on=v.get("closed_on"),
                outcome=v.get("outcome", ""),
            )
        else:
            stray = [f for f in ("closed_on", "outcome") if f in v]
            if stray:
                raise ValidationError(dict.fromkeys(stray, '结案请带 "action": "close"。'))
            call_service(
                services.investigation_update,
                actor=request.user,
                investigation=investigation,
                opened_on=v.get("opened_on", investigation.opened_on),
                authority=v.get("authority", investigation.authority),
                reason=v.get("reason", investigation.reason),
            )
        investigation = self.get_queryset().get(pk=investigation.pk)
        return Response(InvestigationSerializer(investigation).data)


def register(router) -> None:
    router.register("investigations", InvestigationViewSet, basename="investigation")
