"""Error answers that keep the API's contract: under ``/api/`` every error is the JSON shape of
API.md (``{"error": {"code", "message", "fields"}}``), even where no API view ran (an unknown
path, a malformed id in the URL, a NUL byte in a parameter, a failed CSRF check); pages get the
app's own Chinese error pages."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

NUL_MESSAGE = "参数中含有不允许的控制字符（NUL），请检查后重试。"
CSRF_MESSAGE = "CSRF 校验失败：请刷新页面后重试；以会话方式调用接口时须携带 X-CSRFToken 请求头。"


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, code: str, message: str, fields=None) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def bad_request(request, exception=None, template_name="400.html"):
    if is_api(request):
        return api_error(400, "invalid", "请求无效。")
    return render(request, template_name, status=400)


def permission_denied(request, exception=None, template_name="403.html"):
    if is_api(request):
        return api_error(403, "permission_denied", "您的角色无权执行此操作。")
    return defaults.permission_denied(request, exception, template_name=template_name)


def page_not_found(request, exception=None, template_name="404.html"):
    if is_api(request):
        return api_error(404, "not_found", "接口地址不存在，或对象不存在、不在您的管辖范围内。")
    return defaults.page_not_found(request, exception, template_name=template_name)


def server_error(request, template_name="500.html"):
    if is_api(request):
        return api_error(500, "server_error", "服务器内部错误，请稍后重试或联系管理员。")
    return defaults.server_error(request, template_name=template_name)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: says that the CSRF check failed, in Chinese, not "no permission"."""
    if is_api(request):
        return api_error(403, "csrf_failed", CSRF_MESSAGE)
    return render(request, "403.html", {"exception": CSRF_MESSAGE}, status=403)


class RejectNulMiddleware:
    """A NUL byte in the path or a query parameter is bad input (PostgreSQL refuses it in any
    string): 400 before any view or query sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = [k for k, values in request.GET.lists() if "\x00" in k or any("\x00" in v for v in values)]
        if bad or "\x00" in request.path:
            if is_api(request):
                return api_error(
                    400, "invalid", NUL_MESSAGE, {k.replace("\x00", ""): [NUL_MESSAGE] for k in bad}
                )
            return render(request, "400.html", {"message": NUL_MESSAGE}, status=400)
        return self.get_response(request)
