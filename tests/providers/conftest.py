import httpx
import pytest

from inbox.simulator.fake_providers import FakeProviders


@pytest.fixture
def fake():
    return FakeProviders(public_base_url="http://sim.test")


@pytest.fixture
def http(fake):
    with httpx.Client(transport=fake.mock_transport()) as client:
        yield client
