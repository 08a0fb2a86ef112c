"""Keyword changes reach the per-process matchers through a version in the Django cache: no
database query per message while nothing changed, every change picked up at once."""

import pytest
from django.core.cache import cache

from inbox.automation import services
from inbox.automation.keyword_versions import AUTOMATION, keywords_version
from inbox.automation.models import Keyword
from inbox.automation.selectors import tenant_matcher
from keywords import KeywordSpec, clear_matcher_cache, get_matcher
from signals_app import keyword_lists
from signals_app.models import SignalKeyword
from signals_app.services import signals_in_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_matchers():
    clear_matcher_cache()
    yield
    clear_matcher_cache()


def price_rule(tenant, keywords=("giá",)):
    return services.rule_save(
        tenant=tenant,
        actor=None,
        data={"name": "Price", "trigger": "keywords", "reply_text": "See our price list."},
        keywords=list(keywords),
        accent_insensitive=True,
    )


def matched_texts(tenant, text):
    matcher = tenant_matcher(tenant=tenant)
    return sorted(text[m.start : m.end] for m in matcher.find(text))


def test_matching_again_costs_no_query_while_the_keywords_are_unchanged(
    tenant_a, django_assert_num_queries
):
    price_rule(tenant_a)
    assert matched_texts(tenant_a, "Shop ơi GIA bao nhiêu?") == ["GIA"]
    with django_assert_num_queries(0):
        assert matched_texts(tenant_a, "giá ship?") == ["giá"]


def test_a_rule_whose_keywords_change_matches_the_new_keywords_at_once(tenant_a):
    rule = price_rule(tenant_a)
    assert matched_texts(tenant_a, "giá ship?") == ["giá"]
    services.rule_save(tenant=tenant_a, actor=None, rule=rule, data={}, keywords=["ship"])
    assert matched_texts(tenant_a, "giá ship?") == ["ship"]
    copy = services.rule_duplicate(tenant=tenant_a, actor=None, rule=rule)
    services.rule_save(tenant=tenant_a, actor=None, rule=copy, data={}, keywords=["cod"])
    assert matched_texts(tenant_a, "giá ship cod?") == ["cod", "ship"]
    services.rule_delete(tenant=tenant_a, actor=None, rule=rule)
    assert matched_texts(tenant_a, "giá ship cod?") == ["cod"]


def test_other_tenants_keep_their_matchers(tenant_a, tenant_b, django_assert_num_queries):
    price_rule(tenant_a)
    price_rule(tenant_b, keywords=["ship"])
    assert matched_texts(tenant_b, "giá ship") == ["ship"]
    price_rule(tenant_a, keywords=["cod"])
    with django_assert_num_queries(0):
        assert matched_texts(tenant_b, "giá ship") == ["ship"]
    assert matched_texts(tenant_a, "giá ship cod") == ["cod", "giá"]


def test_a_matcher_built_before_the_commit_is_replaced_once_committed(
    tenant_a, django_capture_on_commit_callbacks
):
    """Another process may read the new version while the change is not committed yet and
    build from the old rows: the version changes again on commit, so it rebuilds."""
    rule = price_rule(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.rule_save(tenant=tenant_a, actor=None, rule=rule, data={}, keywords=["ship"])
        # What that other process would have cached under the version it read:
        version = keywords_version(scope=AUTOMATION, tenant_id=tenant_a.pk)
        get_matcher(f"{AUTOMATION}:{tenant_a.pk}", version, lambda: [KeywordSpec(1, "giá")])
        assert matched_texts(tenant_a, "giá ship") == ["giá"]
    assert matched_texts(tenant_a, "giá ship") == ["ship"]


def test_a_version_the_cache_lost_makes_every_process_rebuild(tenant_a):
    rule = price_rule(tenant_a)
    assert matched_texts(tenant_a, "giá cod") == ["giá"]
    # A keyword written behind the services' back is not seen while the version holds …
    Keyword.objects.create(tenant=tenant_a, rule=rule, text="cod")
    assert matched_texts(tenant_a, "giá cod") == ["giá"]
    # … but a cache that lost the version (flushed, evicted) means a rebuild, never stale data.
    cache.clear()
    assert matched_texts(tenant_a, "giá cod") == ["cod", "giá"]


def test_signal_keywords_imported_or_deleted_are_matched_at_once(
    tenant_a, django_assert_num_queries
):
    assert signals_in_text(tenant_a, "I want to buy, price?") == []
    keyword_lists.keywords_import(
        tenant=tenant_a,
        actor=None,
        rows=[
            keyword_lists.KeywordRow(signal="order", text="buy"),
            keyword_lists.KeywordRow(signal="lead", text="price"),
        ],
    )
    assert signals_in_text(tenant_a, "I want to buy, price?") == ["lead", "order"]
    with django_assert_num_queries(0):
        assert signals_in_text(tenant_a, "price?") == ["lead"]
    keyword = SignalKeyword.objects.get(tenant=tenant_a, text="price")
    keyword_lists.keyword_delete(keyword=keyword, actor=None)
    assert signals_in_text(tenant_a, "I want to buy, price?") == ["order"]
