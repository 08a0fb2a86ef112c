"""The API clients of tests/api, for the teams, merge and macro tests."""

from tests.api.conftest import key_api, session_api  # noqa: F401
