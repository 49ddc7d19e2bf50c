"""``cadres/{id}/lrmx/``: a cadre's 干部任免审批表 as an LRMX file (API.md); ``units/{id}/lrmx/``:
a zip of the files of a unit and its subtree. Every role that may read the cadre may download
it; roles that may not see ID numbers get them masked in the file. Outside the scope: 404."""

from urllib.parse import quote

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from cadres.selectors import cadre_get, unit_get
from core.api import error_response

from . import exports

LRMX_TYPE = "application/xml; charset=utf-8"


def attachment(name: str) -> str:
    return f"attachment; filename=\"download\"; filename*=UTF-8''{quote(name)}"


class CadreLrmxView(APIView):
    @extend_schema(
        summary="干部任免审批表（LRMX）",
        responses={(200, "application/xml"): OpenApiTypes.BINARY},
        description="无权查看完整身份证号的角色（接口只读用户、纪检/审计），文件中的身份证号为脱敏形式。",
    )
    def get(self, request, pk: int):
        cadre = cadre_get(request.user, pk)
        response = HttpResponse(exports.cadre_lrmx(request.user, cadre), content_type=LRMX_TYPE)
        response["Content-Disposition"] = attachment(exports.filename(cadre))
        return response


class UnitLrmxView(APIView):
    @extend_schema(
        summary="单位（含下级单位）干部任免审批表（LRMX 压缩包）",
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        unit = unit_get(request.user, pk)
        try:
            data = exports.unit_zip(request.user, unit)
        except exports.TooMany as exc:
            return error_response(400, exc.message, code="too_many")
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = attachment(f"{unit.name}任免审批表.zip")
        return response


def register(router) -> None:
    """Nothing on the router: the two paths sit under the cadres/ and units/ resources."""


urlpatterns = [
    path("cadres/<int:pk>/lrmx/", CadreLrmxView.as_view(), name="cadre-lrmx"),
    path("units/<int:pk>/lrmx/", UnitLrmxView.as_view(), name="unit-lrmx"),
]
