"""Helpers for API tests: keys, session clients, JSON requests."""

import pytest
from django.test import Client

from tenants.services import api_key_create


class ApiClient:
    """A JSON client with fixed auth headers: api.get(path), api.post(path, data)."""

    def __init__(self, client: Client, headers: dict):
        self.client = client
        self.headers = headers

    def _call(self, method, path, data=None, headers=None, **params):
        extra = {**self.headers, **(headers or {})}
        if method == "get":
            return self.client.get(path, data or params or None, **extra)
        return getattr(self.client, method)(
            path, data if data is not None else {}, content_type="application/json", **extra
        )

    def get(self, path, data=None, **kw):
        return self._call("get", path, data, **kw)

    def post(self, path, data=None, **kw):
        return self._call("post", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self._call("patch", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self._call("put", path, data, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """API tests create many users; hashing their passwords slowly tests nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _http_headers(headers: dict) -> dict:
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


@pytest.fixture
def key_api(tenant_a):
    """A read-write API key client of tenant A."""
    raw = api_key_create(tenant=tenant_a, name="crm-rw", read_only=False).raw_key
    return ApiClient(Client(), _http_headers({"Authorization": f"Bearer {raw}"}))


@pytest.fixture
def ro_key_api(tenant_a):
    raw = api_key_create(tenant=tenant_a, name="crm-ro", read_only=True).raw_key
    return ApiClient(Client(), _http_headers({"Authorization": f"Bearer {raw}"}))


@pytest.fixture
def b_key_api(tenant_b):
    raw = api_key_create(tenant=tenant_b, name="crm-b", read_only=False).raw_key
    return ApiClient(Client(), _http_headers({"Authorization": f"Bearer {raw}"}))


@pytest.fixture
def session_api(tenant_a):
    """session_api(user) → a JSON client signed in as user, on tenant A."""

    def make(user, tenant=None):
        client = Client()
        client.force_login(user)
        return ApiClient(client, _http_headers({"X-Parley-Tenant": (tenant or tenant_a).slug}))

    return make


@pytest.fixture
def role_api(request, tenant_a, session_api):
    """role_api(name) for name in owner/admin/agent/viewer (session) or key/ro_key (API keys).

    Only the asked-for user or key is created."""

    def make(name):
        if name in ("key", "ro_key"):
            return request.getfixturevalue(f"{name}_api")
        return session_api(request.getfixturevalue(f"{name}_a"))

    return make


def results(response) -> list:
    assert response.status_code == 200, response.content
    return response.json()["results"]


class Receiver:
    """A real HTTP server on 127.0.0.1 (in a thread) that records POSTs.

    `responses` is a list of status codes answered in turn (the last one repeats);
    `delay` seconds are slept before answering."""

    def __init__(self):
        import http.server
        import threading

        self.requests = []
        self.responses = [200]
        self.delay = 0.0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                import time

                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                if receiver.delay:
                    time.sleep(receiver.delay)
                index = min(len(receiver.requests) - 1, len(receiver.responses) - 1)
                try:
                    self.send_response(receiver.responses[index])
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the client gave up (timeout tests)
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.CRM_WEBHOOK_TIMEOUT = 1.0
    server = Receiver()
    yield server
    server.close()
