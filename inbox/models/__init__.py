"""The inbox's models, one module per topic; import them from `inbox.models`."""

from inbox.models.channels import Channel
from inbox.models.comments import Comment, Post
from inbox.models.contacts import Contact, ContactIdentity
from inbox.models.conversations import Conversation, ConversationRead, Label
from inbox.models.csat import CsatSurvey
from inbox.models.messages import Attachment, Message
from inbox.models.saved_views import SavedView
from inbox.models.search_signatures import ConversationSearchSignature
from inbox.models.tallies import ConversationTally, ReadTally
from inbox.models.teams import Team, TeamMember
from inbox.models.templates import MessageTemplate
from inbox.models.webhook_events import WebhookEvent
from inbox.simulator.models import (
    SimulatorFailure,
    SimulatorObject,
    SimulatorProfile,
    SimulatorRequest,
    SimulatorRevokedToken,
    SimulatorTemplate,
)

__all__ = [
    "Attachment",
    "Channel",
    "Comment",
    "Contact",
    "ContactIdentity",
    "CsatSurvey",
    "Conversation",
    "ConversationRead",
    "ConversationSearchSignature",
    "ConversationTally",
    "Label",
    "Message",
    "MessageTemplate",
    "Post",
    "ReadTally",
    "SavedView",
    "SimulatorFailure",
    "SimulatorObject",
    "SimulatorProfile",
    "SimulatorRequest",
    "SimulatorRevokedToken",
    "Team",
    "TeamMember",
    "SimulatorTemplate",
    "WebhookEvent",
]
