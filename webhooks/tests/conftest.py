import pytest

from testkit.webhooks import WebhookReceiver


@pytest.fixture
def receiver():
    """A receiver on a free 127.0.0.1 port, checking signatures (its `secret` set by the test)."""
    started = WebhookReceiver().start()
    yield started
    started.stop()
