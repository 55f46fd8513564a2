"""An optional antivirus step in the document checks: ClamAV's daemon (clamd), where one is
configured (PRESSPASS_CLAMD = ``unix:///run/clamav/clamd.ctl`` or ``tcp://host:3310``).

The file is streamed to clamd (its INSTREAM command); a file it finds something in is removed
from storage by the pipeline and never shown to anyone. A clamd that cannot be reached is an
error (OSError), so the checks are retried and, failing that, shown failed to staff: a file is
never taken for clean because the scanner was away."""

from __future__ import annotations

import socket
import struct
from urllib.parse import urlsplit

from django.conf import settings

from accreditation.checks.sources import Source, open_source

CHUNK = 64 * 1024


class ScannerError(OSError):
    """clamd answered something other than a verdict."""


def configured() -> bool:
    return bool(settings.PRESSPASS_CLAMD)


def _connect() -> socket.socket:
    address = urlsplit(settings.PRESSPASS_CLAMD)
    timeout = settings.PRESSPASS_CLAMD_TIMEOUT
    if address.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address.path)
        return sock
    if address.scheme == "tcp":
        return socket.create_connection((address.hostname, address.port or 3310), timeout=timeout)
    raise ScannerError(f"PRESSPASS_CLAMD: unknown scheme {address.scheme!r}")


def scan(src: Source) -> str | None:
    """The name of what clamd found in the file (a path, its content, or an open file), or None
    when it found nothing."""
    with _connect() as sock, open_source(src) as handle:
        sock.sendall(b"zINSTREAM\0")
        while chunk := handle.read(CHUNK):
            sock.sendall(struct.pack(">I", len(chunk)) + chunk)
        sock.sendall(struct.pack(">I", 0))
        answer = b""
        while not answer.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith(" OK"):
        return None
    if text.endswith(" FOUND"):
        return text.removeprefix("stream:").removesuffix("FOUND").strip()[:100]
    raise ScannerError(f"clamd answered {text[:200]!r}")
