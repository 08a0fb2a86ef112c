from django.core.management.base import BaseCommand, CommandError

from inbox.models import Channel
from inbox.simulator.payloads import simulate_inbound


class Command(BaseCommand):
    help = "Send a correctly signed inbound webhook as a customer of a channel (simulator)."

    def add_arguments(self, parser):
        parser.add_argument("--channel", type=int, required=True, help="Channel id")
        parser.add_argument("--from", dest="name", required=True, help="Customer name")
        parser.add_argument("--text", required=True)
        parser.add_argument("--tiktok-ad-id", dest="ad_id", default="", help="Arrived from ad")

    def handle(self, *args, **opts):
        # An operator command: the channel id is global, like the webhook's account id.
        channel = Channel.objects.filter(pk=opts["channel"]).first()
        if channel is None:
            raise CommandError(f"No channel {opts['channel']}.")
        results = simulate_inbound(
            channel=channel, name=opts["name"], text=opts["text"], ad_id=opts["ad_id"]
        )
        for result in results:
            self.stdout.write(f"webhook answered {result.status} (event {result.event_id})")
        if any(r.status != 200 for r in results):
            raise CommandError("The webhook refused the simulated event.")
