from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cadres/", include("cadres.urls")),
    path("audit/", include("audit.urls")),
    path("supervision/", include("supervision.urls")),
    path("assessment/", include("assessment.urls")),
    path("recall/statistics/", include("recall.urls_statistics")),
    path("recall/", include("recall.urls")),
    path("incentives/", include("incentives.urls")),
    path("workorders/", include("workorders.urls")),
    path("interop/", include("interop.urls")),
    path("jobs/", include("core.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves Swagger UI's init script as a file, which the CSP allows
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="core/swagger_ui.html"),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]

# Under /api/ errors keep the JSON shape of API.md; pages get the Chinese templates.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"

admin.site.site_header = "干部考核管理系统 管理后台"
admin.site.site_title = "干部考核管理系统"
