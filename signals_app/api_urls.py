from rest_framework.routers import SimpleRouter

from signals_app.api import SignalReportViewSet

router = SimpleRouter()
router.register("signal-reports", SignalReportViewSet, basename="signal-report")

urlpatterns = router.urls
