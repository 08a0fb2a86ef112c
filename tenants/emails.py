from django.core.mail import send_mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from tenants.locale import language_for_recipient, tenant_zone


def send_invitation_email(created) -> None:
    """In the invitee's own language if they already chose one, else the business's default."""
    invitation = created.invitation
    language = language_for_recipient(invitation.email, fallback=invitation.tenant.default_language)
    with translation.override(language):
        inviter = invitation.invited_by.email if invitation.invited_by else _("Someone")
        expires = timezone.localtime(invitation.expires_at, tenant_zone(invitation.tenant))
        send_mail(
            subject=_("You are invited to %(tenant)s on Parley")
            % {"tenant": invitation.tenant.name},
            message=_(
                "%(inviter)s invited you to join %(tenant)s on Parley as %(role)s.\n\n"
                "Accept the invitation: %(url)s\n\nThe link expires on %(expires)s."
            )
            % {
                "inviter": inviter,
                "tenant": invitation.tenant.name,
                "role": invitation.get_role_display(),
                "url": created.url,
                "expires": f"{formats.date_format(expires, 'DATETIME_FORMAT')} {expires.tzname()}",
            },
            from_email=None,
            recipient_list=[invitation.email],
        )
