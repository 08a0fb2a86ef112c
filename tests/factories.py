import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from inbox.models import Channel, Contact, ContactIdentity, Conversation, Label, Message
from tenants.models import Membership, Tenant

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.LazyAttribute(lambda o: o.email)
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        from allauth.account.models import EmailAddress

        obj.save()
        if create:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = "agent"


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    tenant = factory.SubFactory(TenantFactory)
    provider = "whatsapp"
    name = factory.Sequence(lambda n: f"Channel {n}")
    account_id = factory.Sequence(lambda n: f"acct-{n}")
    credentials = factory.LazyFunction(lambda: {"access_token": "token-for-tests"})


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Faker("name")


class ContactIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactIdentity

    contact = factory.SubFactory(ContactFactory)
    tenant = factory.SelfAttribute("contact.tenant")
    channel = factory.SubFactory(ChannelFactory, tenant=factory.SelfAttribute("..tenant"))
    external_id = factory.Sequence(lambda n: f"ext-{n}")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    tenant = factory.SubFactory(TenantFactory)
    channel = factory.SubFactory(ChannelFactory, tenant=factory.SelfAttribute("..tenant"))
    contact = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"))
    last_message_at = factory.LazyFunction(timezone.now)
    last_customer_message_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    tenant = factory.SelfAttribute("conversation.tenant")
    channel = factory.SelfAttribute("conversation.channel")
    direction = "in"
    author_kind = "customer"
    text = factory.Faker("sentence")
    provider_message_id = factory.Sequence(lambda n: f"msg-{n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"label-{n}")
