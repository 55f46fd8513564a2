"""The broker's Redis as /health/ sees it (SECURITY.md row 28): a Redis that evicts keys when
full makes the page fail; its append-only file is reported. A private redis-server each time."""

from __future__ import annotations

import shutil

import pytest
import redis

from tests.integration.stack import Redis

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


@pytest.fixture
def broker(tmp_path, settings):
    server = Redis(tmp_path)
    server.start()
    settings.CELERY_BROKER_URL = server.url
    client = redis.Redis(port=server.port)
    yield client
    client.config_set("appendonly", "no")  # else redis-server writes its log before it stops
    server.stop()


def test_a_broker_that_evicts_keys_fails_the_health_page(client, broker):
    broker.config_set("maxmemory-policy", "allkeys-lru")
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 503
    assert body["broker_eviction"] == "error: maxmemory-policy allkeys-lru"
    assert "broker_eviction" in body["missing"]
    assert body["broker_appendonly"] == "no"


def test_a_broker_that_refuses_writes_when_full_and_keeps_a_log_passes(client, broker):
    broker.config_set("maxmemory-policy", "noeviction")
    broker.config_set("appendonly", "yes")
    body = client.get("/health/").json()
    assert body["broker_eviction"] == "ok" and "broker_eviction" not in body["missing"]
    assert body["broker_appendonly"] == "yes"
