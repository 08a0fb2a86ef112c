"""What the schema states, the API enforces, and the other way round; every answer under /api/
is JSON in the error shape (schemathesis checks the same broadly in test_schemathesis.py)."""

import json

import pytest
from django.test import Client

from inbox.models import Label
from tests.factories import ChannelFactory, ConversationFactory


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.fixture
def schema(client):
    return client.get("/api/schema/?format=json").json()


def _parameter(schema, path, method, name):
    operation = schema["paths"][path][method]
    return next(p for p in operation["parameters"] if p["name"] == name)


# --- the schema states the constraints the API enforces ------------------------------------------
def test_every_post_documents_the_idempotency_key_rule(schema):
    posts = [ops["post"] for ops in schema["paths"].values() if "post" in ops]
    assert len(posts) >= 10
    for operation in posts:
        header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert header["in"] == "header" and not header.get("required")
        assert header["schema"]["minLength"] == 1 and header["schema"]["maxLength"] == 255
        assert header["schema"]["pattern"] == "^[ -~]*[!-~][ -~]*$"


def test_page_size_and_id_filters_state_their_limits(schema):
    for path, ops in schema["paths"].items():
        if "get" in ops and any(p["name"] == "page_size" for p in ops["get"]["parameters"]):
            page_size = _parameter(schema, path, "get", "page_size")["schema"]
            assert (page_size["minimum"], page_size["maximum"]) == (1, 200), path
    channel = _parameter(schema, "/api/v1/contacts/", "get", "channel")["schema"]
    assert channel["type"] == "integer" and channel["minimum"] == 1


def test_the_filters_that_need_a_person_say_so(schema):
    for name in ("assignee", "unread"):
        parameter = _parameter(schema, "/api/v1/conversations/", "get", name)
        assert "API key gets 403" in parameter["description"]


def test_bodies_are_json_only_and_writes_document_422(schema):
    for ops in schema["paths"].values():
        for method in ("post", "put", "patch"):
            if method in ops and "requestBody" in ops[method]:
                assert list(ops[method]["requestBody"]["content"]) == ["application/json"]
            if method in ops:
                assert "422" in ops[method]["responses"]


# --- the API enforces what the schema states ------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "page_size=null",
        "page_size=0",
        "page_size=201",
        "page_size=2.0",
        "page_size=5&page_size=6",
        "channel=0",
        "channel=abc",
        "created_after=",
        "created_after=2026-01-01T00:00",
        "created_after=yesterday",
    ],
)
def test_query_values_outside_the_schema_are_400(key_api, query):
    error = _error(key_api.client.get(f"/api/v1/contacts/?{query}", **key_api.headers), 400)
    assert error["code"] == "invalid"
    assert query.split("=")[0] in error["details"]


@pytest.mark.parametrize(
    "query", ["starts_before=", "starts_before=2026-13-01T00:00:00Z", "contact=1e3", "status="]
)
def test_booking_filters_outside_the_schema_are_400(key_api, query):
    error = _error(key_api.client.get(f"/api/v1/bookings/?{query}", **key_api.headers), 400)
    assert query.split("=")[0] in error["details"]


def test_query_values_inside_the_schema_are_accepted(key_api):
    offset = "updated_after=2026-01-01T07:00:00%2B07:00"
    for query in ("page_size=200", "page_size=1", "channel=9", offset):
        response = key_api.client.get(f"/api/v1/contacts/?{query}", **key_api.headers)
        assert response.status_code == 200, (query, response.content)
    for query in ("signal=lead", "conversation=123"):
        response = key_api.client.get(f"/api/v1/signal-reports/?{query}", **key_api.headers)
        assert response.status_code == 200, (query, response.content)


@pytest.mark.parametrize(
    ("key", "status"),
    [("a b", 201), ("  spaced  ", 201), ("x" * 255, 201), ("", 400), ("   ", 400),
     ("x" * 256, 400), ("clé", 400), ("tab\there", 400)],
)  # fmt: skip
def test_the_idempotency_key_rule_is_exactly_the_documented_one(key_api, key, status):
    response = key_api.post(
        "/api/v1/labels/", {"name": "Hot"}, headers={"HTTP_IDEMPOTENCY_KEY": key}
    )
    assert response.status_code == status, response.content
    if status == 400:
        assert _error(response, 400)["code"] == "invalid_idempotency_key"
        assert not Label.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"name": 5}, {"name": "   "}, {"name": "x" * 61}, {"name": "Hot", "color": None}, [1]],
)
def test_bodies_outside_the_schema_are_400_and_store_nothing(key_api, body):
    error = _error(key_api.post("/api/v1/labels/", body), 400)
    assert error["code"] == "invalid" and error["details"]
    assert not Label.objects.exists()


def test_a_form_encoded_body_is_415(key_api):
    response = key_api.client.post(
        "/api/v1/labels/", "name=Hot", content_type="application/x-www-form-urlencoded",
        **key_api.headers,
    )  # fmt: skip
    assert _error(response, 415)["code"] == "unsupported_media_type"


def test_a_label_name_already_taken_is_a_409(key_api):
    assert key_api.post("/api/v1/labels/", {"name": "Hot"}).status_code == 201
    assert _error(key_api.post("/api/v1/labels/", {"name": "hot "}), 409)["code"] == "conflict"


def test_an_id_that_names_nothing_here_is_a_422(key_api, tenant_a, tenant_b):
    conversation = ConversationFactory(tenant=tenant_a, channel=ChannelFactory(tenant=tenant_a))
    theirs = Label.objects.create(tenant=tenant_b, name="Theirs")
    error = _error(
        key_api.post(f"/api/v1/conversations/{conversation.pk}/labels/", {"label": theirs.pk}),
        422,
    )
    assert error["code"] == "unprocessable" and "label" in error["details"]


def test_a_body_for_an_object_of_another_tenant_is_404_not_400(b_key_api, tenant_a):
    label = Label.objects.create(tenant=tenant_a, name="Mine")
    _error(b_key_api.patch(f"/api/v1/labels/{label.pk}/", {"name": 5}), 404)


# --- every answer under /api/ is JSON in the error shape -----------------------------------------
@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/nope/", "/api/v1/labels/%0A/", "/api/v1/labels/%FF%FE/", "/api/nothing", "/api/"],
)
def test_unknown_and_undecodable_paths_are_json_404s(key_api, settings, debug, path):
    settings.DEBUG = debug
    _error(key_api.client.get(path, **key_api.headers), 404)


def test_a_method_an_endpoint_does_not_have_is_a_json_405(key_api):
    response = key_api.delete("/api/v1/channels/")
    assert _error(response, 405)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_a_body_over_the_limit_is_a_json_413(key_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = key_api.client.post(
        "/api/v1/labels/", json.dumps({"name": "x", "description": "y" * 2000}),
        content_type="application/json", **key_api.headers,
    )  # fmt: skip
    assert _error(response, 413)["code"] == "too_large"
    assert not Label.objects.exists()


@pytest.mark.parametrize("debug", [True, False])
def test_a_server_error_is_a_json_500(key_api, settings, monkeypatch, debug):
    from inbox.api import LabelViewSet

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(LabelViewSet, "list", broken)
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    error = _error(client.get("/api/v1/labels/", **key_api.headers), 500)
    assert error["code"] == "server_error" and "a bug" not in json.dumps(error)


def test_a_contact_stored_before_todays_phone_rule_still_conforms_to_the_response_schema(
    schema, key_api, tenant_a
):
    """Responses describe what is stored: a phone written before the input rule existed (or
    by another door) is served, and the schema a client generated from still accepts it."""
    import jsonschema_rs

    from tests.factories import ContactFactory

    ContactFactory(tenant=tenant_a, phone="ext. 12")  # no five digits: today's input refuses it
    ContactFactory(tenant=tenant_a, phone="")

    response = key_api.get("/api/v1/contacts/")
    assert response.status_code == 200
    contact_schema = {
        **schema["components"]["schemas"]["Contact"],
        "components": schema["components"],
    }
    validator = jsonschema_rs.validator_for(contact_schema)
    served = response.json()["results"]
    assert {c["phone"] for c in served} >= {"ext. 12", ""}
    for contact in served:
        assert validator.is_valid(contact), contact
    request_phone = json.dumps(
        schema["components"]["schemas"]["ContactRequest"]["properties"]["phone"]
    )
    assert "pattern" in request_phone  # the input rule stays stated where it applies
