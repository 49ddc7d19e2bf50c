"""API plumbing shared by every endpoint: pagination and the one error shape of API.md."""

from urllib import parse

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api_fields import resolve_choice


class _Page(Page):
    def __iter__(self):
        # Page iterates through __getitem__ item by item (Sequence's default): 100 calls a page
        if not isinstance(self.object_list, list):
            self.object_list = list(self.object_list)
        return iter(self.object_list)


class _Paginator(Paginator):
    def _get_page(self, *args, **kwargs):
        return _Page(*args, **kwargs)


class Pagination(PageNumberPagination):
    django_paginator_class = _Paginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        # A page or page size that is not a positive whole number is bad input (400), not
        # "page not found" or silently the default size.
        for param in (self.page_query_param, self.page_size_query_param):
            value = request.query_params.get(param)
            if value not in (None, "") and not (value.isascii() and value.isdigit() and int(value) > 0):
                if not (param == self.page_query_param and value in self.last_page_strings):
                    raise exceptions.ValidationError({param: ["应为正整数。"]})
        self._url = None
        return super().paginate_queryset(queryset, request, view)

    # The links of a page, as DRF writes them (the query's parameters sorted, ``page`` left out
    # for the first page), with the request's URL taken apart once instead of twice per link.
    def _link(self, number: int | None) -> str:
        if self._url is None:
            scheme, netloc, path, query, fragment = parse.urlsplit(self.request.build_absolute_uri())
            params = parse.parse_qs(query, keep_blank_values=True)
            params.pop(self.page_query_param, None)
            self._url = (scheme, netloc, path, fragment, params)
        scheme, netloc, path, fragment, params = self._url
        if number is not None:
            params = {**params, self.page_query_param: [str(number)]}
        query = parse.urlencode(sorted(params.items()), doseq=True)
        return parse.urlunsplit((scheme, netloc, path, query, fragment))

    def get_next_link(self):
        if not self.page.has_next():
            return None
        return self._link(self.page.next_page_number())

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        number = self.page.previous_page_number()
        return self._link(None if number == 1 else number)


MESSAGES = {
    status.HTTP_400_BAD_REQUEST: ("invalid", "提交的数据有误，请检查。"),
    status.HTTP_401_UNAUTHORIZED: ("not_authenticated", "未登录或令牌无效。"),
    status.HTTP_403_FORBIDDEN: ("permission_denied", "您的角色无权执行此操作。"),
    status.HTTP_404_NOT_FOUND: ("not_found", "对象不存在或不在您的管辖范围内。"),
    status.HTTP_405_METHOD_NOT_ALLOWED: ("method_not_allowed", "不支持该请求方法。"),
    status.HTTP_406_NOT_ACCEPTABLE: ("not_acceptable", "不支持请求的响应格式。"),
    status.HTTP_409_CONFLICT: ("conflict", "与现有数据冲突。"),
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: ("too_large", "上传内容过大。"),
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: ("unsupported_media_type", "不支持的文件或内容类型。"),
    status.HTTP_429_TOO_MANY_REQUESTS: ("throttled", "请求过于频繁，请稍后再试。"),
}


class Conflict(exceptions.APIException):
    """409. ``Conflict(message, code="step_out_of_order")`` answers with that code instead of
    ``conflict``, for clients that tell one kind of conflict from another."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "与现有数据冲突。"
    default_code = "conflict"


def _flatten(detail):
    if isinstance(detail, dict):
        # every field maps to a list of messages, however the error was raised
        return {k: _flatten(v) if isinstance(v, (dict, list)) else [str(v)] for k, v in detail.items()}
    if isinstance(detail, list):
        return [str(x) if not isinstance(x, (dict, list)) else _flatten(x) for x in detail]
    return str(detail)


def exception_handler(exc, context):
    """``{"error": {"code", "message", "fields"}}`` for every error."""
    if isinstance(exc, DjangoValidationError):
        # a service's error keyed by field answers 400 with those fields; a model's whole-row
        # error (``__all__``) is the non-field message
        exc = exceptions.ValidationError(
            {k if k != "__all__" else "non_field_errors": v for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        from .errors import CSRF_MESSAGE

        response.data = {"error": {"code": "csrf_failed", "message": CSRF_MESSAGE, "fields": {}}}
        return response
    code, message = MESSAGES.get(response.status_code, ("error", "请求失败。"))
    if isinstance(exc, Conflict) and isinstance(exc.get_codes(), str):
        code = exc.get_codes()
    fields = {}
    if isinstance(exc, exceptions.ValidationError):
        detail = _flatten(exc.detail)
        if isinstance(detail, dict):
            non_field = detail.pop("non_field_errors", None)
            fields = detail
            if non_field:
                message = "；".join(non_field)
            elif fields:
                first_field, first_errors = next(iter(fields.items()))
                first = first_errors[0] if isinstance(first_errors, list) and first_errors else first_errors
                message = f"提交的数据有误：{first}" if isinstance(first, str) else message
        elif isinstance(detail, list):
            message = "；".join(str(d) for d in detail)
    elif response.status_code not in (401, 403, 404) or isinstance(exc, Conflict):
        detail = getattr(exc, "detail", None)
        if isinstance(detail, str) and detail and not detail.isascii():
            message = detail
    elif isinstance(getattr(exc, "detail", None), str) and not exc.detail.isascii():
        message = exc.detail
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response


def error_response(status_code: int, message: str, code: str | None = None, fields=None) -> Response:
    default_code, _ = MESSAGES.get(status_code, ("error", ""))
    return Response(
        {"error": {"code": code or default_code, "message": message, "fields": fields or {}}},
        status=status_code,
    )


# ------------------------------------------------------------------ what endpoints share


def read_or_capability(capability: str, message: str) -> type[permissions.BasePermission]:
    """A permission class: every signed-in role reads (each endpoint scopes what it shows),
    writes need ``capability``; a refused write is a 403 with ``message``."""

    class ReadOrCapability(permissions.BasePermission):
        def has_permission(self, request, view):
            user = request.user
            if not (user and user.is_authenticated):
                return False
            return request.method in permissions.SAFE_METHODS or user.can(capability)

    ReadOrCapability.message = message
    ReadOrCapability.__doc__ = f"Every signed-in role reads (within scope); writes need ``{capability}``."
    return ReadOrCapability


def int_param(value, field: str) -> int:
    """An id from a query parameter or a body: a 400 naming ``field`` unless it is an integer
    that fits a database id."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise exceptions.ValidationError({field: "应为整数 id。"}) from None
    if not -(2**63) <= number < 2**63:
        raise exceptions.ValidationError({field: "应为整数 id。"})
    return number


YEARS = range(1900, 2101)


def year_param(value, field: str = "year") -> int:
    """A year from a query parameter: a 400 naming ``field`` unless it is an integer in ``YEARS``
    (a filter on dates of that year: beyond 9999 there are none, and Python cannot make them)."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        year = None
    if year not in YEARS:
        raise exceptions.ValidationError({field: f"年度应为 {YEARS[0]} 至 {YEARS[-1]} 之间的整数。"})
    return year


def choice_message(enum, value) -> str:
    """Why ``value`` is not one of ``enum``'s choices, naming each by its code and its label."""
    options = "、".join(code if code == label else f"{code}（{label}）" for code, label in enum.choices)
    return f"无效的取值“{value}”。可选值（代码或名称）：{options}"


def choice_param(enum, value, field: str) -> str:
    """A choice from a query parameter, given by its code or its label: the stored code, or a
    400 naming ``field`` and every choice."""
    code = resolve_choice(enum, value)
    if code is None:
        raise exceptions.ValidationError({field: choice_message(enum, value)})
    return code


def bool_param(value, field: str) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "是"):
        return True
    if text in ("false", "0", "no", "否"):
        return False
    raise exceptions.ValidationError({field: "应为 true 或 false。"})


def call_service(service, **kwargs):
    """Run one service: its PermissionDenied is a 403 saying why; its ValidationError reaches
    ``exception_handler`` as a 400 with ``fields``, or, when it carries a ``conflict_code`` (a
    workflow step out of order), is a 409 with that code."""
    try:
        return service(**kwargs)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from None
    except DjangoValidationError as exc:
        # a step out of order (a ValidationError carrying ``conflict_code``) is a 409
        code = getattr(exc, "conflict_code", None)
        if code:
            raise Conflict("；".join(exc.messages), code=code) from None
        raise
