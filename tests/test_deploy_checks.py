"""`manage.py check --deploy` warns about a Redis reached over the network without a password
and TLS (whoever reaches it could queue work); a local or protected one passes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("redis://10.0.0.5:6379/0", True),
        ("redis://:secret@10.0.0.5:6379/0", True),  # a password sent in the clear
        ("rediss://10.0.0.5:6380/0", True),  # TLS, but anyone may use it
        ("rediss://:secret@redis.internal:6380/0", False),
        ("redis://127.0.0.1:6379/0", False),
        ("unix:///run/redis/redis.sock", False),
    ],
)
def test_an_exposed_redis_is_reported(settings, url, warned):
    settings.CELERY_BROKER_URL = url
    settings.REDIS_URL = ""
    if warned:
        with pytest.raises(SystemCheckError, match="presspass.W001"):
            call_command("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
    else:
        try:
            call_command("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
        except SystemCheckError as exc:
            assert "presspass.W001" not in str(exc)
