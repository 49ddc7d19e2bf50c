from .views.interview_export import urlpatterns as interview_export_urls
from .views.interviews import urlpatterns as interview_urls
from .views.investigations import urlpatterns as investigation_urls
from .views.records import urlpatterns as record_urls
from .views.sanctions import urlpatterns as sanction_urls

app_name = "supervision"
urlpatterns = [*interview_export_urls, *interview_urls, *record_urls, *sanction_urls, *investigation_urls]
