"""Logging: one line per record, UTC time, the request's id, no secret and no address in it.

- ``redact()`` takes out of any text what must never be logged: the token of a status or
  late-admission link, gate photo tickets and device credentials, bearer tokens, e-mail
  addresses; a newline in a value (a name typed with one) is written as ``\\n``, so one record
  stays one line.
- ``RedactingFilter`` applies it to every record (Django's own "Not Found: /status/…" too);
  config/gunicorn.py to gunicorn's access log; config/nginx/presspass.conf
  logs the same way.
- ``JsonFormatter`` (LOG_FORMAT=json: one JSON object a line for a log shipper) and
  ``TextFormatter`` (readable, the default and the demo's).
- ``RequestIdMiddleware`` gives each request an id (the proxy's ``X-Request-ID`` if it is a
  plain token, else a new one), sent back in the response and written in every record.

Security events (sign-in failures, lock-outs, refusals, document views, bad links, rate-limit
hits) go through ``security_event`` to the ``presspass.security`` logger.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid

from django.core.signals import request_finished

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

SECURITY = logging.getLogger("presspass.security")

REDACTED = "[redacted]"
_RULES = [
    # /status/<reference>/<token>/ : the reference stays (staff look it up), the token goes
    (re.compile(r"(/status/[^/\s?#\"']+/)[^/\s?#\"']+"), rf"\1{REDACTED}"),
    (re.compile(r"(/gate/api/photos/)[^/\s?#\"']+"), rf"\1{REDACTED}"),
    # The other private links: unsubscribing and files of announcements, an interview target's
    # contact page, an outlet's focal page, a crew member's link, an outlet's confirmation.
    (
        re.compile(
            r"(/(?:announcements/(?:unsubscribe|file)/[^/\s?#\"']+|interviews/contact/\d+"
            r"|outlets/(?:page|crew|confirm)/\d+)/)[^/\s?#\"']+"
        ),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(r"([?&](?:late|token|device|key|password|secret)=)[^&\s#\"']+", re.I),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(\bBearer\s+)[^\s\"',]+", re.I), rf"\1{REDACTED}"),
    (re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def scrub(text: str) -> str:
    """The secrets and addresses taken out; lines kept (for tracebacks)."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def redact(text: str) -> str:
    """scrub(), and one line: newlines and control characters written as escapes."""
    text = scrub(text)
    text = text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# Attributes a LogRecord has of itself; anything else was given with ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Fold the arguments into the message, then redact it (and the extras given as text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict) and "return_value" in record.args:
            # Celery's "Task … succeeded in …s: <what it returned>": a task may return anything.
            record.args = {**record.args, "return_value": "-"}
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        record.request_id = request_id.get()
        return True


# A task's arguments and what it returned are never written: Celery puts them in the ``data``
# extra of its records ("Task … received"), and ours carry staff questions, reasons and ids.
_TASK_ARGUMENTS = {"args", "kwargs", "return_value"}


def _extras(record: logging.LogRecord) -> dict:
    skip = _STANDARD | {"request_id", "request", "server_time", "status_code"}
    out = {}
    for key, value in vars(record).items():
        if key in skip or key.startswith("_"):
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _TASK_ARGUMENTS}
        if isinstance(value, (int, float, bool, type(None))):
            out[key] = value
        else:
            out[key] = value if isinstance(value, str) else redact(str(value))
    return out


def _utc(record: logging.LogRecord) -> str:
    when = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = (
            f"{_utc(record)} {record.levelname} {record.name} "
            f"[{getattr(record, 'request_id', '-')}] {record.getMessage()}"
        )
        if extras:
            line = f"{line} {extras}"
        if record.exc_info:  # a traceback is several lines: kept, after the record's line
            line = f"{line}\n{scrub(self.formatException(record.exc_info))}"
        return line


def security_event(event: str, *, outcome: str = "refused", level: int = logging.WARNING, **fields):
    """One security event: what happened (``event``), how it ended, and who/where — never a
    secret, an address or a document number (the filter takes out what slips in)."""
    SECURITY.log(
        level,
        event.replace(".", " ").replace("_", " "),
        extra={"event": event, "outcome": outcome, **fields},
    )


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    """Names the request for every log line about it, Django's own "Not Found" and "Forbidden"
    included (written after the middleware returns): the id stays until the request is
    finished (``request_finished``)."""

    def __init__(self, get_response):
        self.get_response = get_response
        request_finished.connect(_forget_request_id, dispatch_uid="presspass.request_id")

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request_id.set(rid)
        response = self.get_response(request)
        response.headers.setdefault("X-Request-ID", rid)
        return response


def _forget_request_id(sender, **kwargs) -> None:
    request_id.set("-")


def syslog_handler(url: str) -> dict:
    """The logging configuration of a handler sending to ``udp://host:port`` or
    ``tcp://host:port`` (a syslog collector), JSON lines, redacted like every other line."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("udp", "tcp") or not parts.hostname:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("LOG_SYSLOG must look like udp://host:514 or tcp://host:601")
    return {
        "class": "logging.handlers.SysLogHandler",
        "address": (parts.hostname, parts.port or (514 if parts.scheme == "udp" else 601)),
        "socktype": 1 if parts.scheme == "tcp" else 2,  # socket.SOCK_STREAM, SOCK_DGRAM
        "filters": ["redact"],
        "formatter": "json",
    }
