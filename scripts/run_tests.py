#!/usr/bin/env python
"""Run the whole test suite on the best services this machine has, and say which were used.

- PostgreSQL on 127.0.0.1:5432 (or $TEST_DATABASE_URL) when it answers, SQLite otherwise;
- Redis on 127.0.0.1:6379 (or $TEST_REDIS_URL) for the integration tests when it answers;
- Debian's chromium for the browser tests when it is installed (`apt-get install chromium
  fonts-noto-core`); otherwise those tests skip and the runner says why. It installs nothing.
With PRESSPASS_REQUIRE_SERVICES=1 (set by .ci/run) a missing service is an error, not a fallback.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.5):
            return True
    except OSError:
        return False


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not answers("127.0.0.1", 5432) and "TEST_DATABASE_URL" not in os.environ:
        return None
    try:
        import psycopg

        with psycopg.connect(
            url.replace("postgres://", "postgresql://"), connect_timeout=3
        ) as conn:
            conn.execute("select 1")
    except Exception as exc:  # noqa: BLE001 - any failure means: fall back
        print(f"  PostgreSQL not usable ({exc.__class__.__name__}: {exc}".strip()[:200] + ")")
        return None
    return url


def redis_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1.5).ping()
    except Exception:  # noqa: BLE001
        return None
    return url


def chromium() -> str | None:
    """Debian's chromium, if installed. The runner installs nothing: README.md says how."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def main(argv: list[str]) -> int:
    require = os.environ.get("PRESSPASS_REQUIRE_SERVICES") == "1"
    env = dict(os.environ)
    env.pop(
        "CELERY_BROKER_URL", None
    )  # unit tests run tasks in-process; integration tests start a worker
    env.pop("REDIS_URL", None)
    env.setdefault("PRESSPASS_VAR_DIR", str(ROOT / "var" / "test"))
    print("Presspass test run:")
    db = postgres_url()
    if db:
        env["DATABASE_URL"] = db
        print(f"  database: PostgreSQL ({db})")
    else:
        env.pop("DATABASE_URL", None)
        print("  database: SQLite (PostgreSQL did not answer on 127.0.0.1:5432)")
    rd = redis_url()
    if rd:
        env["TEST_REDIS_URL"] = rd
        print(f"  redis:    {rd} (integration tests use it)")
    else:
        env.pop("TEST_REDIS_URL", None)
        print("  redis:    none (integration tests that need it skip)")
    browser = chromium()
    if browser:
        env["PRESSPASS_CHROMIUM"] = browser
        print(f"  browser:  {browser}")
    else:
        env.pop("PRESSPASS_CHROMIUM", None)
        print(
            "  browser:  none — the browser tests will SKIP. Install Debian's chromium and"
            " fonts-noto-core (sudo apt-get install chromium fonts-noto-core) to run them."
        )
    if require and not (db and rd and browser):
        print(
            "PRESSPASS_REQUIRE_SERVICES=1 but PostgreSQL, Redis or chromium is missing.",
            file=sys.stderr,
        )
        return 3
    sys.stdout.flush()
    command = [sys.executable, "-m", "pytest", *argv]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
