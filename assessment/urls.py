"""Pages of the assessment app; each views module owns its own ``urlpatterns``."""

from .views import imports, periods, policy, results

app_name = "assessment"
urlpatterns = [*periods.urlpatterns, *results.urlpatterns, *policy.urlpatterns, *imports.urlpatterns]
