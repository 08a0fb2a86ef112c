"""Login throttling beyond the foundation's per-account test: guessing across many accounts
from one address is throttled too, and a throttled login never signs anyone in."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_throttled(client):
    victims = [UserFactory(email=f"victim{i}@example.com") for i in range(7)]
    for user in victims[:6]:  # one wrong guess per account: the per-account limit never trips
        client.post("/accounts/login/", {"login": user.email, "password": "Winter2026!"})
    response = client.post(
        "/accounts/login/", {"login": victims[6].email, "password": "pw-for-tests-1"}
    )
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_another_address_is_not_locked_out_by_someone_elses_failures(client, owner_a):
    from django.test import Client

    for _ in range(6):
        client.post(
            "/accounts/login/",
            {"login": "nobody@example.com", "password": "x"},
            REMOTE_ADDR="203.0.113.9",
        )
    other = Client(REMOTE_ADDR="198.51.100.7")
    response = other.post(
        "/accounts/login/", {"login": owner_a.email, "password": "pw-for-tests-1"}
    )
    assert response.status_code == 302
    assert other.session["_auth_user_id"] == str(owner_a.pk)
