"""A fixed-window rate limit per client address, kept in the cache (Redis in production)."""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

from config.logs import security_event

log = logging.getLogger(__name__)


def client_ip(request) -> str:
    """REMOTE_ADDR, or the address our trusted proxies saw (counting from the right)."""
    trusted = settings.PRESSPASS_TRUSTED_PROXIES
    if trusted:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= trusted:
            return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR", "")


def hit(key: str, *, limit: int, window: int = 3600) -> bool:
    """Count one hit; False once the limit for the current window is exceeded."""
    bucket = f"rl:{key}:{int(time.time() // window)}"
    try:
        count = _count(bucket, ttl=window + 60)
    except Exception as exc:  # noqa: BLE001 - the cache (Redis) is down
        # Fail open: a journalist must not lose a submission because Redis is restarting.
        log.warning("rate limit not applied, cache unavailable: %s", exc)
        return True
    if count > limit:
        security_event("rate_limit.hit", scope=key.split(":", 1)[0], count=count, limit=limit)
        return False
    return True


REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def _redis():
    """A client of the cache's Redis (from the settings), or None where the cache is not Redis."""
    conf = settings.CACHES["default"]
    if conf["BACKEND"] != REDIS_CACHE:
        return None
    location = conf["LOCATION"]
    return _client(location if isinstance(location, str) else location[0])


@lru_cache(maxsize=4)
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _count(bucket: str, *, ttl: int) -> int:
    client = _redis()
    if client is not None:
        # INCR and EXPIRE in one round trip (the cache API's add + incr take three).
        key = cache.make_and_validate_key(bucket)
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl)
        return int(pipe.execute()[0])
    cache.add(bucket, 0, timeout=ttl)
    try:
        return cache.incr(bucket)
    except ValueError:  # evicted between add and incr
        cache.set(bucket, 1, timeout=ttl)
        return 1


def submission_allowed(request, scope: str) -> bool:
    return hit(f"{scope}:{client_ip(request)}", limit=settings.PRESSPASS_SUBMISSIONS_PER_HOUR)


def status_view_allowed(request) -> bool:
    return hit(f"status:{client_ip(request)}", limit=settings.PRESSPASS_STATUS_VIEWS_PER_HOUR)
