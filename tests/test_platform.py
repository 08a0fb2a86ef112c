"""The platform promises of the foundation: embedded PostgreSQL, production checks, secrets
at rest, accounts."""

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.db import connection

from tests.factories import ChannelFactory

ROOT = Path(__file__).resolve().parents[1]


def _manage(*args, env_overrides=None, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_database_url_parley_starts_its_embedded_postgresql():
    result = _manage(
        "shell",
        "-c",
        "from django.db import connection; connection.ensure_connection(); "
        "print(connection.vendor, connection.settings_dict['HOST'])",
        drop=("DATABASE_URL",),
    )
    assert result.returncode == 0, result.stderr
    vendor, host = result.stdout.split()[-2:]
    assert vendor == "postgresql"
    assert host == str(ROOT / ".data" / "postgres")


def test_the_deploy_check_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "parley.example.com",
        },
        drop=("DJANGO_ALLOW_ASYNC_UNSAFE",),  # set by the browser tests for their own process
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_channel_credentials_are_encrypted_at_rest(tenant_a):
    channel = ChannelFactory(tenant=tenant_a, credentials={"access_token": "EAAG-very-secret"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM inbox_channel WHERE id = %s", [channel.pk])
        stored = cursor.fetchone()[0]
    assert "EAAG-very-secret" not in stored
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "EAAG-very-secret"}


@pytest.mark.django_db
def test_keys_rotate_without_losing_secrets(tenant_a, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    channel = ChannelFactory(tenant=tenant_a, credentials={"access_token": "tok"})
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    from django.core.management import call_command

    call_command("rotate_encryption_keys", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    channel.refresh_from_db()
    assert channel.credentials == {"access_token": "tok"}


@pytest.mark.django_db
def test_signing_up_asks_to_verify_the_email_address(client):
    client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
            "business_name": "New Shop",
        },
    )
    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].body.lower()
    # Not signed in until the address is confirmed.
    assert client.get("/").status_code == 302


def _totp_now(secret):
    from allauth.mfa.totp.internal import auth

    counter = next(auth.yield_hotp_counters_from_time())
    return auth.format_hotp_value(auth.hotp_value(secret, counter))


@pytest.mark.django_db
def test_a_user_turns_on_two_factor_and_then_needs_a_code_to_sign_in(client, owner_a):
    login = {"login": owner_a.email, "password": "pw-for-tests-1"}
    client.post("/accounts/login/", login)
    page = client.get("/accounts/2fa/totp/activate/", follow=True)
    if page.request["PATH_INFO"] == "/accounts/reauthenticate/":
        # Turning on 2FA asks for the password again.
        page = client.post(
            page.request["PATH_INFO"] + "?next=/accounts/2fa/totp/activate/",
            {"password": login["password"]},
            follow=True,
        )
    assert page.request["PATH_INFO"] == "/accounts/2fa/totp/activate/"
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": _totp_now(secret)})
    assert response.status_code == 302
    client.post("/accounts/logout/")

    response = client.post("/accounts/login/", login)
    assert response.status_code == 302 and "/2fa/authenticate" in response.url
    assert "_auth_user_id" not in client.session
    client.post(response.url, {"code": _totp_now(secret)})
    assert client.session["_auth_user_id"] == str(owner_a.pk)


@pytest.mark.django_db
def test_the_login_page_and_the_security_headers(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_demo_owner_signs_in_and_sees_the_inbox_and_settings(client):
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # safe to run twice
    response = client.post(
        "/accounts/login/",
        {"login": "demo@example.com", "password": "parley-demo-2026"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/t/demo/inbox/"
    assert client.get("/t/demo/settings/members/").status_code == 200


def test_create_tenant_and_api_key_commands(db, capsys):
    from django.core.management import CommandError, call_command

    args = [
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--owner-email",
        "o@acme.test",
        "--password",
        "pw-12345-long",
    ]
    call_command("create_tenant", *args)
    call_command("create_tenant", *args)  # safe twice
    call_command("create_api_key", "--tenant", "acme", "--name", "crm", "--read-only")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith("pk_")
    with pytest.raises(CommandError):
        call_command("create_api_key", "--tenant", "missing", "--name", "crm")
    with pytest.raises(CommandError):
        call_command(
            "create_tenant",
            "--name",
            "X",
            "--slug",
            "bad slug!",
            "--owner-email",
            "x@y.z",
            "--password",
            "p",
        )
