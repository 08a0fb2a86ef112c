import os

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def trivial(request):
    """The ceiling: a Django view that reads the body and answers, touching nothing."""
    request.body  # noqa: B018
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include("config.urls")),
]

if os.environ.get("BENCH_WEBHOOK_PUBLISH") == "direct":
    # Whether the dispatcher's batching still pays: publish one task per webhook, in the request.
    from inbox.ingest import intake

    intake.dispatch = intake.enqueue_event
