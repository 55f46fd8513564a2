"""The submission rate limit counts in a real Redis, as in production, and fails open without it."""

import os

import pytest
import redis

from accreditation.ratelimit import hit

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL,
    reason="needs Redis (TEST_REDIS_URL, set by scripts/run_tests.py when Redis answers)",
)


@pytest.fixture
def redis_cache(settings):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    yield client
    client.flushdb()


def test_the_limit_is_counted_in_redis_and_expires_with_its_window(redis_cache):
    assert [hit("apply:192.0.2.7", limit=3) for _ in range(5)] == [True] * 3 + [False] * 2
    assert hit("apply:192.0.2.8", limit=3)  # another address has its own count
    (key,) = [k for k in redis_cache.keys("*") if b"192.0.2.7" in k]
    assert int(redis_cache.get(key)) == 5
    assert 3600 < redis_cache.ttl(key) <= 3660  # gone soon after its window


def test_without_redis_nobody_is_turned_away(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        }
    }
    assert all(hit("apply:192.0.2.9", limit=1) for _ in range(3))
