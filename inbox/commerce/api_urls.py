from rest_framework.routers import SimpleRouter

from inbox.commerce.api import BookingViewSet, OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")
router.register("bookings", BookingViewSet, basename="booking")

urlpatterns = router.urls
