"""``units/`` and ``cadres/`` of the public API (see ../shared/API.md). Thin: scope through the
selectors, writes through the services."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from audit.services import audit_view
from core.api import choice_param
from core.api_fields import LabelChoiceField

from . import selectors, services
from .models import (
    Cadre,
    CadreKind,
    CadreStatus,
    Education,
    EducationLevel,
    Gender,
    Identity,
    PoliticalStatus,
    PostKind,
    PostRecord,
    Rank,
    StudyMode,
    TeamMembership,
    Unit,
    UnitKind,
)


class RegistryPermission(permissions.BasePermission):
    """Any role reads (within scope); only roles with ``edit_registry`` write."""

    message = "您的角色无权修改干部名册或组织机构。"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return user.can("edit_registry")


def _raise_as_api_error(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        raise ValidationError(exc.message_dict)
    raise ValidationError({"non_field_errors": exc.messages})


# ------------------------------------------------------------------ units


class TeamMemberSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["cadre", "cadre_name", "role_title", "is_main_leader"]


class UnitSerializer(serializers.ModelSerializer):
    kind = LabelChoiceField(UnitKind)
    parent = serializers.IntegerField(required=False, allow_null=True, help_text="上级单位 id")
    team = TeamMemberSerializer(many=True, read_only=True, help_text="领导班子，主要负责人在前")

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent", "depth", "team"]
        read_only_fields = ["id", "depth", "team"]
        extra_kwargs = {"code": {"validators": []}}


def _parent_ids(units) -> dict[int, int | None]:
    """Parent id of each unit, from the materialized paths, in one query."""
    paths = {u.path[: -Unit.steplen] for u in units if u.depth > 1}
    by_path = dict(Unit.objects.filter(path__in=paths).values_list("path", "id")) if paths else {}
    return {u.pk: by_path.get(u.path[: -Unit.steplen]) for u in units}


@extend_schema_view(
    list=extend_schema(
        summary="单位列表",
        parameters=[
            OpenApiParameter("parent", int, description="上级单位 id：只列其直接下级"),
            OpenApiParameter("code", str, description="单位代码（精确匹配）"),
        ],
    ),
    retrieve=extend_schema(summary="单位详情"),
    create=extend_schema(summary="新建单位"),
)
class UnitViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = UnitSerializer
    permission_classes = [RegistryPermission]
    filter_backends: list = []

    def get_queryset(self):
        qs = selectors.units_visible_to(self.request.user).prefetch_related("team__cadre").order_by("path")
        params = self.request.query_params
        if params.get("code"):
            qs = qs.filter(code=params["code"].strip())
        if params.get("parent"):
            try:
                parent = selectors.unit_get(self.request.user, int(params["parent"]))
            except (ValueError, TypeError):
                raise ValidationError({"parent": "上级单位 id 应为整数。"}) from None
            except Exception:
                return qs.none()
            qs = qs.filter(path__startswith=parent.path, depth=parent.depth + 1)
        return qs

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        parents = _parent_ids(page)
        data = self.get_serializer(page, many=True).data
        for row, unit in zip(data, page, strict=True):
            row["parent"] = parents[unit.pk]
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        unit = self.get_object()
        data = self.get_serializer(unit).data
        data["parent"] = _parent_ids([unit])[unit.pk]
        return _response(data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        parent = None
        if v.get("parent") is not None:
            parent = selectors.units_visible_to(request.user).filter(pk=v["parent"]).first()
            if parent is None:
                raise ValidationError({"parent": "上级单位不存在或不在您的管辖范围内。"})
        try:
            unit = services.unit_create(
                actor=request.user, parent=parent, code=v["code"], name=v["name"], kind=v["kind"]
            )
        except DjangoValidationError as exc:
            _raise_as_api_error(exc)
        data = self.get_serializer(unit).data
        data["parent"] = parent.pk if parent else None
        return _response(data, status=201)


def _response(data, status=200):
    from rest_framework.response import Response

    return Response(data, status=status)


# ------------------------------------------------------------------ cadres


class EducationSerializer(serializers.ModelSerializer):
    level = LabelChoiceField(EducationLevel)
    mode = LabelChoiceField(StudyMode)

    class Meta:
        model = Education
        fields = ["id", "level", "degree", "school", "major", "mode", "start_date", "end_date"]


class PostRecordSerializer(serializers.ModelSerializer):
    kind = LabelChoiceField(PostKind)

    class Meta:
        model = PostRecord
        fields = ["id", "unit", "unit_name", "title", "kind", "start_date", "end_date"]


class CadreSerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="unit_id", help_text="所在单位 id")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    gender = LabelChoiceField(Gender, required=False)
    political_status = LabelChoiceField(PoliticalStatus, required=False)
    identity = LabelChoiceField(Identity)
    kind = LabelChoiceField(CadreKind)
    rank = LabelChoiceField(Rank)
    status = LabelChoiceField(CadreStatus, required=False)
    id_number = serializers.CharField(
        max_length=30, help_text="18位身份证号；无权查看的角色得到脱敏值，如 320102********1234"
    )
    birth_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="省略时取身份证号中的出生日期；无权查看身份证号的角色得到 null（见 birth_month）",
    )
    birth_month = serializers.CharField(read_only=True, help_text="出生年月，如 1975-03（各角色可见）")
    age = serializers.SerializerMethodField()
    educations = EducationSerializer(many=True, read_only=True)
    posts = PostRecordSerializer(many=True, read_only=True)
    approval_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=(
            "审批理由（仅修改时有效，仅部长/分管负责人可填）。到乡镇工作未满规定年限（默认 2 年）的干部"
            "调出乡镇（修改 unit 到乡镇以外）会被拒绝（400，fields.unit 说明已服务年限和最低年限）；"
            "部长填写审批理由即为同意，理由记入全程纪实；其他角色填写返回 403。"
        ),
    )

    class Meta:
        model = Cadre
        fields = [
            "id",
            "unit",
            "unit_name",
            "name",
            "gender",
            "ethnicity",
            "id_number",
            "birth_date",
            "birth_month",
            "age",
            "work_start_date",
            "political_status",
            "party_join_date",
            "identity",
            "kind",
            "rank",
            "rank_start_date",
            "post_title",
            "post_start_date",
            "status",
            "township_service_start",
            "probation_end",
            "educations",
            "posts",
            "approval_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "age", "educations", "posts", "created_at", "updated_at"]

    def get_age(self, obj) -> int:
        return obj.age()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not (request and request.user.can("view_id_number")):
            # nothing else shown may fill the mask's gap: the birth date is cut to year and month
            data["id_number"] = instance.masked_id_number
            data["birth_date"] = None
        return data


CADRE_FILTER_PARAMS = [
    OpenApiParameter("unit", int, description="单位 id：含全部下级单位"),
    OpenApiParameter("id_number", str, description="身份证号（完整号码精确匹配）"),
    OpenApiParameter("kind", str, description="干部类别（名称或代码）"),
    OpenApiParameter("status", str, description="状态（名称或代码）"),
    OpenApiParameter("name", str, description="姓名包含"),
]


@extend_schema_view(
    list=extend_schema(summary="干部列表", parameters=CADRE_FILTER_PARAMS),
    retrieve=extend_schema(summary="干部详情"),
    create=extend_schema(summary="新增干部"),
    partial_update=extend_schema(summary="修改干部信息"),
)
class CadreViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CadreSerializer
    permission_classes = [RegistryPermission]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return (
                selectors.cadres_visible_to(user)
                .select_related("unit")
                .prefetch_related("educations", "posts")
            )
        p = self.request.query_params
        filters = {}
        if p.get("unit"):
            try:
                unit_id = int(p["unit"])
            except ValueError:
                raise ValidationError({"unit": "单位 id 应为整数。"}) from None
            unit = selectors.units_visible_to(user).filter(pk=unit_id).first()
            if unit is None:
                return Cadre.objects.none()
            filters["unit"] = unit
        for param, enum in (("kind", CadreKind), ("status", CadreStatus)):
            if p.get(param):
                filters[param] = choice_param(enum, p[param], param)
        if p.get("id_number"):
            from .idnumber import normalize

            if not user.can("view_id_number"):  # an exact match would confirm a guessed number
                raise PermissionDenied("您的角色无权按身份证号查询。")
            filters["id_number"] = normalize(p["id_number"])
        if p.get("name"):
            filters["name"] = p["name"]
        return selectors.cadre_list(user, **filters).prefetch_related("educations", "posts")

    def _payload(self, serializer) -> dict:
        data = dict(serializer.validated_data)
        data.pop("approval_reason", None)  # a move's approval: partial_update passes it on
        if "unit_id" in data:
            unit = selectors.units_visible_to(self.request.user).filter(pk=data.pop("unit_id")).first()
            if unit is None:
                raise ValidationError({"unit": "单位不存在或不在您的管辖范围内。"})
            data["unit"] = unit
        if "id_number" in data:
            from . import idnumber

            data["id_number"] = idnumber.normalize(data["id_number"])
            try:
                idnumber.validate(data["id_number"])
            except idnumber.IdNumberError as exc:
                raise ValidationError({"id_number": str(exc)}) from None
            data.setdefault("birth_date", idnumber.birth_date(data["id_number"]))
            data.setdefault("gender", idnumber.gender(data["id_number"]))
        return data

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        self._record_view(response, (response.data or {}).get("results", []), "接口 cadres/ 列表")
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._record_view(response, [response.data], "接口 cadres/ 详情")
        return response

    def _record_view(self, response, rows, where: str) -> None:
        """Full ID numbers were sent: on the record (who, when, which cadres, how many)."""
        user = self.request.user
        if response.status_code == 200 and user.can("view_id_number"):
            audit_view(actor=user, cadres=[(row["id"], row["name"]) for row in rows], where=where)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            cadre = services.cadre_create(actor=request.user, **self._payload(serializer))
        except DjangoValidationError as exc:
            _raise_as_api_error(exc)
        cadre = self.get_queryset().get(pk=cadre.pk)
        return _response(self.get_serializer(cadre).data, status=201)

    def partial_update(self, request, *args, **kwargs):
        cadre = self.get_object()
        serializer = self.get_serializer(cadre, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        payload = self._payload(serializer)
        approval_reason = serializer.validated_data.get("approval_reason", "")
        try:
            services.cadre_update(actor=request.user, cadre=cadre, approval_reason=approval_reason, **payload)
        except DjangoValidationError as exc:
            _raise_as_api_error(exc)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc) or None) from None
        cadre = self.get_queryset().get(pk=cadre.pk)
        return _response(self.get_serializer(cadre).data)
