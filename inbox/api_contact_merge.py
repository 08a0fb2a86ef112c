"""`POST /api/v1/contacts/{id}/merge/`: merge another contact into this one."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from inbox.models import Contact
from inbox.serializers import MAX_ID, ContactSerializer
from inbox.services.contact_merge import (
    MERGE_FIELDS,
    ContactMergeConflict,
    ContactMergeError,
    contact_merge,
)
from tenants.api import conflict


class ContactMergeSerializer(serializers.Serializer):
    other = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="The contact merged into this one (and then removed).",
    )
    prefer_other = serializers.ListField(
        child=serializers.ChoiceField(choices=MERGE_FIELDS),
        required=False,
        default=list,
        max_length=len(MERGE_FIELDS),
        help_text="Fields whose value is taken from the other contact; every other field "
        "keeps this contact's value (an empty one is filled from the other).",
    )


class ContactMergeMixin:
    @extend_schema(
        request=ContactMergeSerializer,
        responses={
            200: ContactSerializer,
            409: OpenApiResponse(
                description="The other contact was merged or deleted meanwhile (another merge "
                "won); nothing was changed."
            ),
            422: OpenApiResponse(description="No such other contact, or the same contact."),
        },
        description="Merge another contact into this one: identities, conversations (with "
        "their messages, notes and labels), orders and bookings move here, the other contact "
        "is removed, one audit entry is written and a `contact.merged` event is sent.",
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        keep = self.get_object()
        serializer = ContactMergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        other = Contact.objects.for_tenant(self.tenant).filter(pk=data["other"]).first()
        if other is None:
            raise exceptions.ValidationError({"other": ["No such contact."]}, code="does_not_exist")
        try:
            result = contact_merge(
                keep=keep,
                other=other,
                actor=request.user if request.user.is_authenticated else None,
                prefer_other=data["prefer_other"],
            )
        except ContactMergeConflict as exc:
            return conflict(str(exc))
        except ContactMergeError as exc:
            raise exceptions.ValidationError({"other": [str(exc)]}, code="rule") from exc
        contact = self.get_queryset().get(pk=result.contact.pk)
        return Response(ContactSerializer(contact).data)
