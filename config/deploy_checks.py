"""Deployment checks (``manage.py check --deploy``) for what Django's own do not know."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

_LOCAL = {"localhost", "127.0.0.1", "::1", ""}


def _exposed(url: str) -> bool:
    """A Redis URL that crosses a network without both a password and TLS."""
    parts = urlsplit(url)
    if parts.scheme == "unix" or (parts.hostname or "") in _LOCAL:
        return False
    return not (parts.scheme == "rediss" and parts.password)


@checks.register(checks.Tags.security, deploy=True)
def redis_is_protected(app_configs=None, **kwargs):
    """Whoever reaches Redis can put work on the queue and read the rate-limit counters: over
    a network it needs a password and TLS (rediss://:password@host:6380/0)."""
    found = []
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = getattr(settings, name, "") or ""
        if url and _exposed(url):
            found.append(
                checks.Warning(
                    f"{name} reaches Redis over the network without a password and TLS.",
                    hint="Use rediss://:PASSWORD@HOST:6380/0 and set requirepass, TLS, "
                    "maxmemory-policy noeviction and appendonly yes on the server "
                    "(docs/deploy.md).",
                    id="presspass.W001",
                )
            )
    return found


@checks.register(checks.Tags.security, deploy=True)
def addresses_are_confirmed(app_configs=None, **kwargs):
    """Without the address step the form is open to anyone's address, and tells a stranger
    whether an address has applied (SECURITY.md row 23)."""
    if getattr(settings, "PRESSPASS_CONFIRM_ADDRESS_FIRST", True):
        return []
    return [
        checks.Warning(
            "PRESSPASS_CONFIRM_ADDRESS_FIRST is off: applicants do not prove their address "
            "before uploading documents.",
            hint="Leave PRESSPASS_CONFIRM_ADDRESS_FIRST unset (on) in production.",
            id="presspass.W002",
        )
    ]


def _loose_modes(root: str, *, limit: int = 5) -> list[str]:
    """Paths under ``root`` that others than the application's user (and its group, for
    reading files) can reach: folders beyond 0700, files beyond 0640 or executable."""
    import os
    import stat

    found: list[str] = []
    for folder, _dirs, files in os.walk(root):
        mode = stat.S_IMODE(os.stat(folder).st_mode)
        if mode & 0o077:
            found.append(f"{folder} ({mode:o})")
        for name in files:
            path = os.path.join(folder, name)
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            if mode & 0o137:  # group write or execute, any right for others, owner execute
                found.append(f"{path} ({mode:o})")
            if len(found) >= limit:
                return found
    return found


@checks.register(checks.Tags.security, deploy=True)
def private_files_are_private(app_configs=None, **kwargs):
    """The documents folder of an existing deployment (SECURITY.md row 15): a folder copied
    in, restored from a backup or made by hand may have kept modes anyone can read."""
    storage = settings.STORAGES.get("private", {})
    root = storage.get("OPTIONS", {}).get("location")
    if not root or not storage.get("BACKEND", "").endswith("PrivateStorage"):
        return []
    import os

    if not os.path.isdir(root):
        return []
    loose = _loose_modes(root)
    if not loose:
        return []
    return [
        checks.Warning(
            "Private documents can be read by other users of this machine: " + ", ".join(loose),
            hint=f"chmod -R u=rwX,go= {root} (folders 0700, files 0600).",
            id="presspass.W003",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def data_keys_are_set(app_configs=None, **kwargs):
    """Documents and document numbers are encrypted under PRESSPASS_DATA_KEYS; without them the
    key is derived from SECRET_KEY, which is meant for development only (issue #21)."""
    from django.core.exceptions import ImproperlyConfigured

    from accreditation.privacy.crypto import parse_keys

    hint = (
        "Set PRESSPASS_DATA_KEYS=k1:BASE64KEY (`manage.py rotate_keys --new-key` prints a new "
        "key), kept with the secrets, apart from the backups."
    )
    try:
        keys = parse_keys(getattr(settings, "PRESSPASS_DATA_KEYS", "") or "")
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint=hint, id="presspass.E004")]
    if not keys:
        return [
            checks.Error(
                "PRESSPASS_DATA_KEYS is not set: private files and document numbers would be "
                "encrypted under a key derived from SECRET_KEY.",
                hint=hint,
                id="presspass.E004",
            )
        ]
    found = []
    if getattr(settings, "PRESSPASS_X_ACCEL_PREFIX", ""):
        found.append(
            checks.Warning(
                "PRESSPASS_X_ACCEL_PREFIX is set, but private files are encrypted: nginx cannot "
                "send them, the web process does.",
                hint="Unset PRESSPASS_X_ACCEL_PREFIX and remove the /_protected/ location.",
                id="presspass.W005",
            )
        )
    if getattr(settings, "PRESSPASS_READ_PLAIN_FILES", False):
        found.append(
            checks.Warning(
                "PRESSPASS_READ_PLAIN_FILES is on: a plain file written over an encrypted one "
                "is served as genuine.",
                hint="Run `manage.py encrypt_files` once after upgrading, then unset it.",
                id="presspass.W006",
            )
        )
    return found
