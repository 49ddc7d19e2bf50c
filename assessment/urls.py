"""Pages of the assessment app; each views module owns its own ``urlpatterns``."""

from .views import appeals, imports, periods, policy, quotas, registration, results, whatif

app_name = "assessment"
urlpatterns = [
    *periods.urlpatterns,
    *results.urlpatterns,
    *policy.urlpatterns,
    *imports.urlpatterns,
    *appeals.urlpatterns,
    *quotas.urlpatterns,
    *whatif.urlpatterns,
    *registration.urlpatterns,
]
