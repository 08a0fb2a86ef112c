"""A demo tenant with people, channels and conversations. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from inbox.automation.demo import seed_automation
from inbox.commerce.demo import seed_commerce
from inbox.demo import seed_channels, seed_inbox_volume
from inbox.demo_comments import seed_comments
from signals_app.demo import seed_signals
from tenants import services
from tenants.locale import set_person_language
from tenants.models import Membership, Tenant
from tenants.permissions import Role

DEMO_PASSWORD = "parley-demo-2026"
DEMO_SLUG = "demo"
PEOPLE = [
    ("demo@example.com", "Dana Owner", Role.OWNER),
    ("agent1@example.com", "Anh Nguyen", Role.AGENT),
    ("agent2@example.com", "Somchai Jaidee", Role.AGENT),
    ("viewer@example.com", "Vera Viewer", Role.VIEWER),
]
# The UI language each demo person chose (the others follow their browser).
LANGUAGES = {"agent1@example.com": "vi", "agent2@example.com": "th"}


def demo_steps():
    """Other apps' demo seeders, run in order once the tenant and its people exist."""
    return [
        # Rules first, so the demo conversations get their auto-replies.
        ("inbox.automation.demo.seed_automation", seed_automation),
        ("inbox.demo.seed_channels", seed_channels),
        ("inbox.demo_comments.seed_comments", seed_comments),
        ("inbox.demo.seed_inbox_volume", seed_inbox_volume),
        ("signals_app.demo.seed_signals", seed_signals),
        ("inbox.commerce.demo.seed_commerce", seed_commerce),
    ]


class Command(BaseCommand):
    help = f"Create the demo tenant; sign in as demo@example.com / {DEMO_PASSWORD}."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        for email, name, _role in PEOPLE:
            user = services.User.objects.filter(email=email).first()
            if user is None:
                user = services.user_create(
                    email=email, password=DEMO_PASSWORD, name=name, verified=True
                )
            users[email] = user
            if email in LANGUAGES:
                set_person_language(user, LANGUAGES[email])
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        created = tenant is None
        if created:
            tenant = services.tenant_create(
                name="Demo Shop",
                owner=users["demo@example.com"],
                slug=DEMO_SLUG,
                timezone_name="Asia/Bangkok",
            )
        for email, _name, role in PEOPLE:
            Membership.objects.get_or_create(
                tenant=tenant, user=users[email], defaults={"role": role}
            )
        for dotted, step in demo_steps():
            step(tenant)
            self.stdout.write(f"  {dotted}: done")
        self.stdout.write(
            f"Demo tenant ready{'' if created else ' (already there)'}: "
            f"sign in as demo@example.com / {DEMO_PASSWORD}"
        )
