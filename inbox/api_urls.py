from rest_framework.routers import SimpleRouter

from inbox.api import LabelViewSet

router = SimpleRouter()
router.register("labels", LabelViewSet, basename="label")

urlpatterns = router.urls
