from rest_framework.routers import SimpleRouter

from inbox.api import ChannelViewSet, ContactViewSet, ConversationViewSet, LabelViewSet
from inbox.api_comments import CommentViewSet, PostViewSet
from inbox.api_csat import CsatSurveyViewSet
from inbox.api_teams import TeamViewSet
from inbox.api_templates import MessageTemplateViewSet

router = SimpleRouter()
router.register("labels", LabelViewSet, basename="label")
router.register("channels", ChannelViewSet, basename="channel")
router.register("contacts", ContactViewSet, basename="contact")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("teams", TeamViewSet, basename="team")
router.register("message-templates", MessageTemplateViewSet, basename="message-template")
router.register("csat-surveys", CsatSurveyViewSet, basename="csat-survey")
router.register("posts", PostViewSet, basename="post")
router.register("comments", CommentViewSet, basename="comment")

urlpatterns = router.urls
