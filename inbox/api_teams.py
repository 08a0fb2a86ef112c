"""The teams API: `/api/v1/teams/` (read with `inbox.view`, write with `teams.manage`)."""

from django.db.models import Prefetch
from rest_framework import exceptions, mixins

from inbox.models import Team, TeamMember
from inbox.serializers import TeamSerializer
from inbox.services.teams import TeamError, team_create, team_delete, team_update
from tenants.api import TenantScopedViewSet
from tenants.idempotency import IdempotentMixin

ID_REGEX = r"\d{1,18}"


def _actor(request):
    return request.user if request.user.is_authenticated else None


class TeamViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    """Teams of the business and their members; conversations are queued to them with
    `POST /conversations/{id}/team/`."""

    queryset = Team.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = TeamSerializer
    read_permission = "inbox.view"
    write_permission = "teams.manage"
    ordering = "name"

    def scoped_queryset(self, queryset):
        members = TeamMember.objects.for_tenant(self.tenant).only("id", "team_id", "user_id")
        return queryset.prefetch_related(Prefetch("members", queryset=members))

    def _refused(self, error):
        code = "unique" if "exists" in str(error) else "rule"
        return exceptions.ValidationError({"name": [str(error)]}, code=code)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = team_create(
                tenant=self.tenant,
                actor=_actor(self.request),
                name=data["name"],
                member_ids=data.get("member_ids", []),
            )
        except TeamError as error:
            raise self._refused(error) from error

    def perform_update(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = team_update(
                team=serializer.instance,
                actor=_actor(self.request),
                name=data.get("name"),
                member_ids=data.get("member_ids"),
            )
        except TeamError as error:
            raise self._refused(error) from error

    def perform_destroy(self, instance):
        team_delete(team=instance, actor=_actor(self.request))
