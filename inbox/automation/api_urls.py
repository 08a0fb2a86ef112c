from rest_framework.routers import SimpleRouter

from inbox.automation.api import MacroViewSet

router = SimpleRouter()
router.register("macros", MacroViewSet, basename="macro")

urlpatterns = router.urls
