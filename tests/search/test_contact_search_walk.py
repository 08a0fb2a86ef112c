"""Contact search reads the tenant's contacts in name order and stops at the page; what the
walk did not find comes from the match's indexes past it. The answer is the same as sorting
every match: random names, phones and e-mails (Thai, Vietnamese, digits), random queries
(a piece of a name, a phone's digits in another format, anything), windows of every size."""

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.selectors.search import _contact_matches, contact_search
from tests.factories import ContactFactory, ContactIdentityFactory

pytestmark = pytest.mark.django_db

NAMES = ["Somchai", "Nguyễn Văn An", "Nguyen Thi Hoa", "สมชาย ใจดี", "Ayu", "Budi", "Anh"]
PHONES = ["+66 81 234 5678", "0812345678", "+84 912 345 678", "", "081-999-1234"]
QUERIES = ["nguyen", "som", "สม", "0812", "+66 81", "81", "5678", "example", "zz", "an"]

contacts = st.lists(
    st.tuples(st.sampled_from(NAMES), st.integers(0, 99), st.sampled_from(PHONES)),
    max_size=12,
)


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=contacts,
    query=st.sampled_from(QUERIES),
    walk=st.integers(1, 6),
    limit=st.integers(1, 4),
)
def test_contact_search_equals_sorting_every_match(db, tenant_a, people, query, walk, limit):
    with transaction.atomic():
        for name, n, phone in people:
            ContactFactory(
                tenant=tenant_a, name=f"{name} {n}", phone=phone, email=f"c{n}@example.com"
            )
        direct, _identities = _contact_matches(tenant_a, query)
        expected = list(direct.order_by("name", "id")[:limit])
        found = contact_search(tenant=tenant_a, query=query, limit=limit, walk=walk)
        assert found == expected
        transaction.set_rollback(True)


def test_a_common_number_and_a_rare_name_are_both_found(tenant_a, tenant_b):
    for i in range(30):
        ContactFactory(tenant=tenant_a, name=f"Customer {i:02d}", phone=f"+66 81 000 00{i:02d}")
    rare = ContactFactory(tenant=tenant_a, name="Zuzana Černá", phone="")
    ContactFactory(tenant=tenant_b, name="Zuzana Černá (other shop)", phone="+66 81 111 1111")
    via_identity = ContactFactory(tenant=tenant_a, name="Đặng Minh", phone="")
    ContactIdentityFactory(contact=via_identity, external_id="tt-777", username="minh.shop")

    common = contact_search(tenant=tenant_a, query="+66 81", limit=5, walk=10)
    assert [c.name for c in common] == [f"Customer {i:02d}" for i in range(5)]
    assert contact_search(tenant=tenant_a, query="zuzana cerna", walk=3) == [rare]
    assert contact_search(tenant=tenant_a, query="minh.shop", walk=3) == [via_identity]


def test_contact_search_leaves_the_planner_as_it_was(tenant_a):
    for i in range(5):
        ContactFactory(tenant=tenant_a, name=f"Anh {i}")
    with transaction.atomic(), connection.cursor() as cursor:
        assert len(contact_search(tenant=tenant_a, query="anh 4", walk=2)) == 1
        for setting in ("enable_bitmapscan", "enable_indexscan", "enable_seqscan"):
            cursor.execute(f"SHOW {setting}")
            assert cursor.fetchone()[0] == "on", setting
