"""Pages of recall/ (召回管理, 预警研判); each views module owns its ``urlpatterns``."""

from .views import cases, catalogue, flags, points

app_name = "recall"
urlpatterns = [*points.urlpatterns, *catalogue.urlpatterns, *flags.urlpatterns, *cases.urlpatterns]
