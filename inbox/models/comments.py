"""Public comments under the business's posts and videos (Facebook Page posts, Instagram
media, TikTok videos), each stored once.

A customer's comments under one post live in one ``Conversation`` of kind ``comments``
(grouped per post and per author); each comment is also a ``Message`` of kind ``comment`` in
that conversation, so the inbox's list, thread, live updates, counts and search cover them.
``Comment`` holds what only a comment has: its post, its parent, its state at the provider
(visible, hidden, deleted), whether the shop wrote it, and its private reply.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models.channels import Channel
from inbox.models.contacts import Contact
from tenants.models import TenantOwnedModel


class Post(TenantOwnedModel):
    """A post or video of the business that comments are made on."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="posts")
    external_id = models.CharField(max_length=191)
    caption = models.TextField(blank=True)
    thumbnail_url = models.URLField(max_length=1000, blank=True)
    # The picture's bytes, fetched server-side like an attachment's and served by Parley
    # (the browser never asks the provider's CDN).
    thumbnail = models.FileField(upload_to="post-thumbnails/%Y/%m/", blank=True)
    thumbnail_mime_type = models.CharField(max_length=100, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    media_type = models.CharField(max_length=40, blank=True)
    ad_id = models.CharField(max_length=64, blank=True)
    ad_title = models.CharField(max_length=200, blank=True)
    details_fetched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="post_channel_unique")
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="post_tenant_recent")]

    def __str__(self):
        return (self.caption or self.external_id)[:60]


class Comment(TenantOwnedModel):
    class State(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden")
        DELETED = "deleted", _("Deleted")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="comments")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    external_id = models.CharField(max_length=191)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    parent_external_id = models.CharField(max_length=191, blank=True)
    # The customer's comments belong to their conversation; the shop's own replies to the
    # conversation of the comment they answer (none for a shop's own top-level comment).
    conversation = models.ForeignKey(
        "inbox.Conversation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.OneToOneField(
        "inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="comment"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    author_external_id = models.CharField(max_length=128, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    is_own = models.BooleanField(default=False)  # written by the business itself
    is_live = models.BooleanField(default=False)  # made during a live broadcast
    text = models.TextField(blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.VISIBLE)
    # When the provider said the state changed last: an older hide/unhide never wins.
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # Known only from a hide/delete event so far (the create has not arrived yet).
    placeholder = models.BooleanField(default=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    liked = models.BooleanField(default=False)
    answered = models.BooleanField(default=False)  # the shop replied (publicly or privately)
    private_reply_at = models.DateTimeField(null=True, blank=True)
    private_reply_conversation = models.ForeignKey(
        "inbox.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    commented_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="comment_channel_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "post", "-commented_at"], name="comment_post_recent"),
            models.Index(fields=["conversation", "state"], name="comment_conversation_state"),
            models.Index(fields=["tenant", "contact"], name="comment_contact"),
        ]

    def __str__(self):
        return f"Comment {self.external_id}"

    @property
    def is_reply(self) -> bool:
        return bool(self.parent_external_id)
