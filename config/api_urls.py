from django.urls import path
from rest_framework.routers import DefaultRouter

from assessment import api_appeals, api_quotas, api_whatif
from assessment.api import AssessmentViewSet, GradeReportViewSet, ImportBatchViewSet, PeriodViewSet
from cadres import api_leaves
from cadres.api import CadreViewSet, UnitViewSet
from core.api_views import JobView, TokenView
from incentives import api as incentives_api
from interop import api as interop_api
from recall.api import (
    AdjustmentViewSet,
    FlagViewSet,
    PointRecordViewSet,
    RecallCaseViewSet,
    SituationViewSet,
)
from recall.api_statistics import RecallStatisticsView
from supervision import api_investigations
from supervision.api import InterviewViewSet, ReminderViewSet
from workorders import api as workorders_api

router = DefaultRouter(trailing_slash=True)
router.register("units", UnitViewSet, basename="unit")
router.register("cadres", CadreViewSet, basename="cadre")
router.register("periods", PeriodViewSet, basename="period")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("grade-reports", GradeReportViewSet, basename="grade-report")
router.register("imports", ImportBatchViewSet, basename="import")
router.register("interviews", InterviewViewSet, basename="interview")
router.register("reminders", ReminderViewSet, basename="reminder")
router.register("recall-cases", RecallCaseViewSet, basename="recall-case")
router.register("recall-situations", SituationViewSet, basename="recall-situation")
router.register("recall-points", PointRecordViewSet, basename="recall-point")
router.register("flags", FlagViewSet, basename="flag")
router.register("adjustments", AdjustmentViewSet, basename="adjustment")
incentives_api.register(router)  # incentives/, track-rankings/, care-records/, ...
# issue 17: leave records, investigations, appeals, unit quotas and raises, the what-if
EXTRA_API = (api_leaves, api_investigations, api_appeals, api_quotas, api_whatif, workorders_api, interop_api)
for module in EXTRA_API:
    module.register(router)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("jobs/<uuid:pk>/", JobView.as_view(), name="api-job"),
    path("recall-statistics/", RecallStatisticsView.as_view(), name="recall-statistics"),
    *incentives_api.urlpatterns(),
    *(pattern for module in EXTRA_API for pattern in module.urlpatterns),
    *router.urls,
]
