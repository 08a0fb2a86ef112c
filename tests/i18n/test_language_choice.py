"""Which language a person sees: their own choice, else their browser's, else the business's."""

import re

import pytest
from django.core import mail
from django.test import Client

from tenants.models import PersonPreferences
from tests.factories import UserFactory


def page_language(response) -> str:
    return re.search(rb'<html lang="([^"]+)"', response.content).group(1).decode()


@pytest.mark.django_db
def test_the_header_switch_saves_the_choice_on_the_account_for_every_later_sign_in(
    tenant_a, agent_a, client_for
):
    inbox = f"/t/{tenant_a.slug}/inbox/"
    first_device = client_for(agent_a)
    assert page_language(first_device.get(inbox)) == "en"

    response = first_device.post("/language/", {"language": "th", "next": inbox})

    assert response.status_code == 302 and response["Location"] == inbox
    assert page_language(first_device.get(inbox)) == "th"
    assert PersonPreferences.objects.get(user=agent_a).language == "th"
    first_device.post("/accounts/logout/")
    second_device = Client(headers={"accept-language": "cs"})
    second_device.force_login(agent_a)
    assert page_language(second_device.get(inbox)) == "th"


@pytest.mark.django_db
def test_a_switch_on_one_device_applies_to_the_other_signed_in_device_on_its_next_page(
    tenant_a, agent_a
):
    inbox = f"/t/{tenant_a.slug}/inbox/"
    phone = Client()
    phone.force_login(agent_a)
    laptop = Client()
    laptop.force_login(agent_a)
    assert page_language(phone.get(inbox)) == "en"
    assert page_language(laptop.get(inbox)) == "en"

    phone.post("/language/", {"language": "vi", "next": inbox})

    # The laptop stays signed in (no new sign-in) and its very next page is Vietnamese.
    assert page_language(laptop.get(inbox)) == "vi"
    laptop.post("/language/", {"language": "ja", "next": inbox})
    assert page_language(phone.get(inbox)) == "ja"
    assert page_language(phone.get("/accounts/email/")) == "ja"


@pytest.mark.django_db
def test_without_a_choice_the_browser_language_wins_then_the_business_default(tenant_a, agent_a):
    inbox = f"/t/{tenant_a.slug}/inbox/"
    tenant_a.default_language = "ja"
    tenant_a.save()
    czech_browser = Client(headers={"accept-language": "cs-CZ,cs;q=0.9,en;q=0.5"})
    czech_browser.force_login(agent_a)
    no_preference = Client(headers={"accept-language": "de-DE"})
    no_preference.force_login(agent_a)

    assert page_language(czech_browser.get(inbox)) == "cs"
    assert page_language(no_preference.get(inbox)) == "ja"


@pytest.mark.django_db
def test_two_people_of_one_business_each_see_their_own_language(
    tenant_a, owner_a, agent_a, client_for
):
    PersonPreferences.objects.create(user=agent_a, language="vi")
    inbox = f"/t/{tenant_a.slug}/inbox/"
    assert page_language(client_for(agent_a).get(inbox)) == "vi"
    assert page_language(client_for(owner_a).get(inbox)) == "en"


@pytest.mark.django_db
def test_the_switch_refuses_a_language_not_shipped_and_a_foreign_redirect(agent_a, client_for):
    client = client_for(agent_a)
    assert client.post("/language/", {"language": "de"}).status_code == 400
    response = client.post("/language/", {"language": "vi", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert not PersonPreferences.objects.filter(user=agent_a, language="de").exists()


@pytest.mark.django_db
def test_a_language_chosen_before_signing_in_is_kept_for_that_session(tenant_a, agent_a):
    client = Client()
    client.post("/language/", {"language": "id", "next": "/accounts/login/"})
    assert page_language(client.get("/accounts/login/")) == "id"
    client.force_login(agent_a)
    assert page_language(client.get(f"/t/{tenant_a.slug}/inbox/")) == "id"


@pytest.mark.django_db
def test_the_business_default_language_is_a_choice_of_shipped_languages(
    tenant_a, owner_a, client_for
):
    client = client_for(owner_a)
    page = client.get(f"/t/{tenant_a.slug}/settings/").content.decode()
    select = re.search(r'<select name="default_language".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="([^"]+)"', select) == ["en", "vi", "th", "id", "cs", "ja"]


@pytest.mark.django_db
def test_an_invitation_is_written_in_the_invitees_language(
    tenant_a, owner_a, client_for, django_capture_on_commit_callbacks
):
    invitee = UserFactory(email="minh@example.com")
    PersonPreferences.objects.create(user=invitee, language="vi")
    tenant_a.default_language = "th"
    tenant_a.save()
    client = client_for(owner_a)
    url = f"/t/{tenant_a.slug}/settings/invitations/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "minh@example.com", "role": "agent"})
        client.post(url, {"email": "somchai@example.com", "role": "agent"})

    to_minh, to_somchai = mail.outbox
    assert to_minh.to == ["minh@example.com"] and "Parley" in to_minh.subject
    assert to_minh.subject == "Bạn được mời tham gia Tenant A trên Parley"
    assert "với vai trò Nhân viên" in to_minh.body
    assert to_somchai.subject == "คุณได้รับเชิญเข้าร่วม Tenant A บน Parley"
    assert "ในบทบาท เจ้าหน้าที่" in to_somchai.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("provider", "english"),
    [
        ("whatsapp", "WhatsApp only allows free-form replies within 24 hours"),
        ("tiktok", "TikTok only allows replies within 48 hours"),
        ("messenger", "Messenger only allows replies within 7 days"),
    ],
)
def test_why_replies_are_closed_is_said_in_the_agents_language(
    tenant_a, agent_a, client_for, provider, english
):
    from datetime import timedelta

    from django.utils import timezone, translation

    from inbox.models import Message
    from tests.factories import ChannelFactory, ConversationFactory

    long_ago = timezone.now() - timedelta(days=10)
    conversation = ConversationFactory(
        tenant=tenant_a,
        channel=ChannelFactory(tenant=tenant_a, provider=provider),
        last_customer_message_at=long_ago,
    )
    Message.objects.create(
        tenant=tenant_a,
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.IN,
        author_kind=Message.AuthorKind.CUSTOMER,
        text="hello",
    )
    PersonPreferences.objects.update_or_create(user=agent_a, defaults={"language": "th"})
    with translation.override("th"):
        thai = translation.gettext(
            {
                "whatsapp": "WhatsApp only allows free-form replies within 24 hours of the "
                "customer's last message; the reply window is closed.",
                "tiktok": "TikTok only allows replies within 48 hours of the customer's last "
                "message; wait for the customer to write again.",
                "messenger": "Messenger only allows replies within 7 days of the customer's "
                "last message (24 hours for automated messages); the reply window is closed.",
            }[provider]
        )
    assert thai and english not in thai

    page = client_for(agent_a).get(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", HTTP_HX_REQUEST="true"
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert thai in html
    assert english not in html


@pytest.mark.django_db
def test_a_password_reset_mail_is_written_in_the_account_holders_language(agent_a):
    PersonPreferences.objects.create(user=agent_a, language="ja")
    english_browser = Client(headers={"accept-language": "en-US,en;q=0.9"})

    english_browser.post("/accounts/password/reset/", {"email": agent_a.email})

    (message,) = mail.outbox
    assert message.to == [agent_a.email]
    assert "パスワード" in message.subject
    assert "パスワード" in message.body and "Password Reset" not in message.body


@pytest.mark.django_db
def test_a_sign_up_verification_mail_is_written_in_the_language_of_the_sign_up_page():
    thai_browser = Client(headers={"accept-language": "th-TH,th;q=0.9"})

    thai_browser.post(
        "/accounts/signup/",
        {
            "email": "nok@example.com",
            "password1": "a-long-Thai-pass-2026",
            "password2": "a-long-Thai-pass-2026",
            "business_name": "ร้านนก",
        },
    )

    (message,) = mail.outbox
    assert message.to == ["nok@example.com"]
    assert "ยืนยัน" in message.subject + message.body
    assert "Please Confirm" not in message.subject
    assert "Hello from" not in message.body and "Thank you for using" not in message.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "11/20/2026 5 p.m."),
        ("ja", "2026/11/20 17:00"),
        ("vi", "20/11/2026 17:00"),
        ("cs", "20.11.2026 17:00"),
        ("th", "20 พ.ย. 2026, 17:00"),
    ],
)
def test_message_times_are_in_the_persons_format_and_the_business_timezone(
    tenant_a, agent_a, client_for, language, shown
):
    from datetime import UTC, datetime

    from inbox.models import Message
    from tests.factories import ConversationFactory, MessageFactory

    tenant_a.timezone = "Asia/Bangkok"
    tenant_a.save()
    PersonPreferences.objects.create(user=agent_a, language=language)
    conversation = ConversationFactory(tenant=tenant_a)
    message = MessageFactory(conversation=conversation, text="hello")
    Message.objects.filter(pk=message.pk).update(created_at=datetime(2026, 11, 20, 10, tzinfo=UTC))

    page = client_for(agent_a).get(
        f"/t/{tenant_a.slug}/inbox/c/{conversation.pk}/", HTTP_HX_REQUEST="true"
    )

    html = page.content.decode()
    assert f">{shown}</time>" in html
    assert 'datetime="2026-11-20T10:00:00+00:00"' in html  # machine-readable stays ISO
