"""``exemptions/``: 容错纠错 decisions. GET lists the decisions in the caller's subtree (filters:
matter type, verdict, unit subtree, year of the decision, cadre); POST decides a matter (a
department head's, through ``supervision.services.exemptions``); PATCH revises a decision.

A matter or decision outside the caller's subtree answers 404 as a missing one; a role other than
a head 403; a matter already decided 409 ``already_decided`` (revise it instead); bad input 400
with the field and a Chinese message."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from cadres import selectors as cadre_selectors
from core.api import Conflict, choice_param, year_param
from core.api_fields import LabelChoiceField
from supervision.models import Exemption, ExemptionVerdict, Intent, MatterType, Motive, Nature
from supervision.selectors.exemptions import exemption_list, matters_of
from supervision.services import exemptions as services

WRITABLE = ("intent", "motive", "nature", "verdict", "basis", "decided_on")


class ExemptionPermission(permissions.BasePermission):
    """Every signed-in role reads (within scope); deciding and revising are a head's."""

    message = "只有部长（分管负责人）可以作出或修改容错纠错认定。"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.can("approve")


class ExemptionSerializer(serializers.ModelSerializer):
    matter_type = LabelChoiceField(MatterType)
    matter_type_code = serializers.CharField(source="matter_type", read_only=True)
    matter_label = serializers.SerializerMethodField(help_text="事项（如 约谈（2026-03-10）：张三）")
    cadre = serializers.IntegerField(source="cadre_id", allow_null=True, read_only=True, help_text="干部 id")
    cadre_name = serializers.CharField(source="cadre.name", read_only=True, default=None, allow_null=True)
    unit = serializers.IntegerField(source="unit_id", read_only=True, help_text="单位 id")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    intent = LabelChoiceField(Intent)
    motive = LabelChoiceField(Motive)
    nature = LabelChoiceField(Nature)
    verdict = LabelChoiceField(ExemptionVerdict)
    verdict_code = serializers.CharField(source="verdict", read_only=True)
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Exemption
        fields = [
            "id",
            "matter_type",
            "matter_type_code",
            "matter_id",
            "matter_label",
            "cadre",
            "cadre_name",
            "unit",
            "unit_name",
            "intent",
            "motive",
            "nature",
            "verdict",
            "verdict_code",
            "basis",
            "decided_by",
            "decided_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_matter_label(self, obj) -> str | None:
        matter = self.context.get("matters", {}).get((obj.matter_type, obj.matter_id))
        return matter.label if matter is not None else None

    def get_decided_by(self, obj) -> str:
        return str(obj.decided_by)


class ExemptionDecideSerializer(serializers.Serializer):
    matter_type = LabelChoiceField(
        MatterType, help_text="事项类型（名称或代码）：" + "、".join(MatterType.values)
    )
    matter_id = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="事项 id（谈话、处分、预警或召回案件）"
    )
    intent = LabelChoiceField(Intent, help_text="故意或过失（名称或代码）")
    motive = LabelChoiceField(Motive, help_text="因私或因公（名称或代码）")
    nature = LabelChoiceField(Nature, help_text="违规或探索试错（名称或代码）")
    verdict = LabelChoiceField(ExemptionVerdict, help_text="认定结论：可容（tolerable）或不容（intolerable）")
    basis = serializers.CharField(max_length=4000, help_text="认定依据（必填）")
    decided_on = serializers.DateField(help_text="认定日期：不晚于今天，不早于事项发生日期")


class ExemptionReviseSerializer(serializers.Serializer):
    intent = LabelChoiceField(Intent, required=False)
    motive = LabelChoiceField(Motive, required=False)
    nature = LabelChoiceField(Nature, required=False)
    verdict = LabelChoiceField(ExemptionVerdict, required=False)
    basis = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    decided_on = serializers.DateField(required=False)
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="修改原因（选填）"
    )


def _call(service, **kwargs):
    """A service's refusals in the API's terms (its ValidationError and Http404 reach core.api's
    handler as 400 and 404)."""
    try:
        return service(**kwargs)
    except services.ExemptionExists as exc:
        raise Conflict(str(exc), code="already_decided") from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from None


def _int(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "应为整数。"}) from None
    if not 0 < number < 2**31:
        raise ValidationError({field: "超出范围。"})
    return number


EXEMPTION_FILTERS = [
    OpenApiParameter(
        "matter_type", str, description="事项类型（名称或代码）：" + "、".join(MatterType.values)
    ),
    OpenApiParameter("verdict", str, description="认定结论（名称或代码）：可容、不容"),
    OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
    OpenApiParameter("year", int, description="认定年度"),
    OpenApiParameter("cadre", int, description="干部 id"),
]


@extend_schema_view(
    list=extend_schema(summary="容错纠错认定", parameters=EXEMPTION_FILTERS),
    retrieve=extend_schema(summary="容错纠错认定详情"),
    create=extend_schema(
        summary="作出容错纠错认定（部长）",
        description="对一个事项（约谈等谈话 interview、处分 sanction、预警 flag、召回事由 recall_case）按“三个区分开来”"
        "作出可容或不容的认定。可容的事项不再限制考核等次（进行中的年度考核重新计算；已公布的考核结果需经更正程序）、"
        "不计入预警（据此提出的预警关闭）。事项已有认定时返回 409 `already_decided`（请用 PATCH 修改）。",
        request=ExemptionDecideSerializer,
        responses={201: ExemptionSerializer},
    ),
    partial_update=extend_schema(
        summary="修改容错纠错认定（部长）",
        request=ExemptionReviseSerializer,
        responses={200: ExemptionSerializer},
    ),
)
class ExemptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ExemptionSerializer
    permission_classes = [ExemptionPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action == "create":
            return ExemptionDecideSerializer
        if self.action == "partial_update":
            return ExemptionReviseSerializer
        return ExemptionSerializer

    def get_queryset(self):
        user = self.request.user
        p = self.request.query_params
        filters: dict = {}
        if self.action == "list":
            for param, enum in (("matter_type", MatterType), ("verdict", ExemptionVerdict)):
                if p.get(param):
                    filters[param] = choice_param(enum, p[param], param)
            if p.get("year"):
                filters["year"] = year_param(p["year"])
            if p.get("unit"):
                unit = cadre_selectors.units_visible_to(user).filter(pk=_int(p["unit"], "unit")).first()
                if unit is None:
                    return Exemption.objects.none()
                filters["unit"] = unit
            if p.get("cadre"):
                cadre = cadre_selectors.cadres_visible_to(user).filter(pk=_int(p["cadre"], "cadre")).first()
                if cadre is None:
                    return Exemption.objects.none()
                filters["cadre"] = cadre
        return exemption_list(user, **filters)

    def _out(self, exemptions, many=False):
        context = {
            **self.get_serializer_context(),
            "matters": matters_of(exemptions if many else [exemptions]),
        }
        return ExemptionSerializer(exemptions, many=many, context=context).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._out(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._out(self.get_object()))

    def create(self, request, *args, **kwargs):
        serializer = ExemptionDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        exemption = _call(services.exemption_decide, actor=request.user, **v)
        return Response(self._out(self.get_queryset().get(pk=exemption.pk)), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        exemption = self.get_object()
        serializer = ExemptionReviseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = dict(serializer.validated_data)
        reason = v.pop("reason", "")
        if not v:
            raise ValidationError({"non_field_errors": ["请至少修改一项：" + "、".join(WRITABLE)]})
        _call(services.exemption_revise, actor=request.user, exemption=exemption, reason=reason, **v)
        return Response(self._out(self.get_queryset().get(pk=exemption.pk)))


def register(router) -> None:
    router.register("exemptions", ExemptionViewSet, basename="exemption")
