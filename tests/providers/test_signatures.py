import time

import pytest

from inbox.providers import instagram, messenger, tiktok, whatsapp

from .helpers import load_raw

SECRET = "s3cr3t-app-secret"


@pytest.mark.parametrize("module", [tiktok, whatsapp, messenger, instagram])
def test_it_accepts_a_body_signed_as_the_provider_signs_it(module):
    raw = load_raw(module.NAME, "im_receive_msg_text" if module is tiktok else "message_text")
    headers = module.sign(raw, SECRET)
    assert module.verify_signature(headers, raw, SECRET)


@pytest.mark.parametrize("module", [tiktok, whatsapp, messenger, instagram])
def test_it_rejects_a_wrong_secret_a_tampered_body_and_a_missing_header(module):
    raw = b'{"object":"page","entry":[]}'
    headers = module.sign(raw, SECRET)
    assert not module.verify_signature(headers, raw, "other-secret")
    assert not module.verify_signature(headers, raw + b" ", SECRET)
    assert not module.verify_signature({}, raw, SECRET)
    assert not module.verify_signature(headers, raw, "")


@pytest.mark.parametrize("module", [tiktok, whatsapp, messenger, instagram])
def test_header_lookup_is_case_insensitive(module):
    raw = b"{}"
    headers = {k.lower(): v for k, v in module.sign(raw, SECRET).items()}
    assert module.verify_signature(headers, raw, SECRET)


def test_tiktok_signature_is_hmac_over_t_dot_body():
    import hashlib
    import hmac

    raw = b'{"a":1}'
    headers = tiktok.sign(raw, SECRET, timestamp=1700000000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + raw, hashlib.sha256).hexdigest()
    assert headers == {"Tiktok-Signature": f"t=1700000000,s={expected}"}


def test_tiktok_rejects_a_stale_or_future_timestamp():
    raw = b'{"a":1}'
    now = time.time()
    stale = tiktok.sign(raw, SECRET, timestamp=int(now) - 301)
    future = tiktok.sign(raw, SECRET, timestamp=int(now) + 301)
    fresh = tiktok.sign(raw, SECRET, timestamp=int(now) - 299)
    assert not tiktok.verify_signature(stale, raw, SECRET, now=now, tolerance=300)
    assert not tiktok.verify_signature(future, raw, SECRET, now=now, tolerance=300)
    assert tiktok.verify_signature(fresh, raw, SECRET, now=now, tolerance=300)


@pytest.mark.parametrize("value", ["", "t=,s=", "s=abc", "t=abc,s=def", "garbage", "t=1700000000"])
def test_tiktok_rejects_malformed_signature_headers(value):
    assert not tiktok.verify_signature({"Tiktok-Signature": value}, b"{}", SECRET, now=1700000000)


def test_meta_signature_is_sha256_prefixed_hex():
    import hashlib
    import hmac

    raw = b'{"object":"page"}'
    expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert whatsapp.sign(raw, SECRET) == {"X-Hub-Signature-256": f"sha256={expected}"}
    assert not whatsapp.verify_signature({"X-Hub-Signature-256": expected}, raw, SECRET)


@pytest.mark.parametrize("module", [whatsapp, messenger, instagram])
def test_meta_verification_handshake(module):
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert module.verification_challenge(params, "tok") == "1158201444"
    assert module.verification_challenge(params, "other") is None
    assert module.verification_challenge({**params, "hub.mode": "unsubscribe"}, "tok") is None
    assert module.verification_challenge(params, "") is None


def test_tiktok_has_no_get_handshake():
    assert tiktok.verification_challenge({"hub.challenge": "x"}, "tok") is None
