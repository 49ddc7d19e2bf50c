"""Pages of the assessment app; each views module owns its own ``urlpatterns``."""

from .views import periods, policy, results

app_name = "assessment"
urlpatterns = [*periods.urlpatterns, *results.urlpatterns, *policy.urlpatterns]
