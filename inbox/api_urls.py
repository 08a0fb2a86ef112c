from rest_framework.routers import SimpleRouter

from inbox.api import ChannelViewSet, ContactViewSet, ConversationViewSet, LabelViewSet

router = SimpleRouter()
router.register("labels", LabelViewSet, basename="label")
router.register("channels", ChannelViewSet, basename="channel")
router.register("contacts", ContactViewSet, basename="contact")
router.register("conversations", ConversationViewSet, basename="conversation")

urlpatterns = router.urls
