"""An API error keeps its machine-readable code; its human message follows Accept-Language."""

import pytest


@pytest.mark.django_db
def test_the_error_message_follows_accept_language_and_the_code_stays(key_api):
    english = key_api.get("/api/v1/contacts/999999/").json()["error"]
    japanese = key_api.get(
        "/api/v1/contacts/999999/", headers={"HTTP_ACCEPT_LANGUAGE": "ja"}
    ).json()["error"]
    invalid = key_api.post(
        "/api/v1/labels/", {"name": ""}, headers={"HTTP_ACCEPT_LANGUAGE": "cs"}
    ).json()["error"]

    assert english["code"] == japanese["code"] == "not_found"
    assert english["message"] == "Not found."
    assert japanese["message"] == "見つかりませんでした。"
    assert invalid["code"] == "invalid"
    assert invalid["message"] == "Požadavek není platný."
