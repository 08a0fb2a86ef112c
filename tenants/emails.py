from django.core.mail import send_mail
from django.utils.translation import gettext as _


def send_invitation_email(created) -> None:
    invitation = created.invitation
    inviter = invitation.invited_by.email if invitation.invited_by else _("Someone")
    send_mail(
        subject=_("You are invited to %(tenant)s on Parley") % {"tenant": invitation.tenant.name},
        message=_(
            "%(inviter)s invited you to join %(tenant)s on Parley as %(role)s.\n\n"
            "Accept the invitation: %(url)s\n\nThe link expires on %(expires)s."
        )
        % {
            "inviter": inviter,
            "tenant": invitation.tenant.name,
            "role": invitation.role,
            "url": created.url,
            "expires": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        },
        from_email=None,
        recipient_list=[invitation.email],
    )
