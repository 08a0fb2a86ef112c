from django.shortcuts import render

from tenants.access import tenant_view


@tenant_view("inbox.view")
def inbox(request):
    return render(request, "inbox/inbox.html", {})
