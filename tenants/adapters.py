from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def populate_username(self, request, user):
        # Parley signs people in by email; the username mirrors it.
        user.username = (user.email or "").lower()[:150]
