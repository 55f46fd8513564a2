#!/usr/bin/env python
"""Benchmark: the public application form under concurrent submissions with real uploads.

Target (issue 7): with three realistic uploads per submission (an identity scan JPEG of
about 2 MB, a press card PDF of about 1 MB and a 12-megapixel portrait JPEG of about 2 MB:
about 5 MB in all), the real form keeps at least half of the sustained rate of a bare Django
view that receives the same multipart body and discards it, measured in the same run.

    .venv/bin/python bench/bench_submit.py [--requests 200] [--concurrency 8] [--workers 4]
        [--rounds 4] [--conn-max-age N] [--reuse-db] [--profile]

What it does, all on this machine (127.0.0.1 only, bounded in count and time):

1. drops and recreates the PostgreSQL database ``presspass_submitbench`` (``--reuse-db``
   keeps it), migrates it and seeds the open demo event (``events.demo.seed_ga93``);
2. starts gunicorn with ``bench.bench_settings`` (the project's settings with the URLconf
   ``bench.submit_urls``: every project URL plus ``/bench/bare/``), sync workers, private
   storage and var/ in a temporary folder, the per-address submission limit raised, and
   Redis (db 14 by default) as cache and Celery broker. **No Celery worker runs**: each
   submission's document checks and e-mails are only queued, as in production, so the
   figures are those of the web tier; the queue is flushed at the end;
3. each client (a thread) opens the form once (session and CSRF cookies), then posts
   submissions, each with its own e-mail address, in alternating rounds: bare view, real
   form, bare view, real form… after a warm-up of both. Every real submission must be
   answered by the redirect to the confirmation page; anything else is counted as failed;
4. prints requests/s (completed requests over the rounds' wall time, and per round), p50 and
   p99 latency (client side: connect, send 5 MB, read the answer; queueing for a free
   worker included) per target, the ratio real/bare against the target, and the CPU time
   per request by process (gunicorn, PostgreSQL, Redis, this client), with what the rest of
   the machine and the hypervisor (steal) took meanwhile. Both targets saturate the two
   cores, so the CPU ratio is the steady figure: on a shared machine another job running
   during one round moves the rates, not the CPU per request.

Worker count: 4 sync workers by default for the 2 cores. A sync worker is held for the
whole request, including the real form's waits for PostgreSQL (22 statements and 3
commits per submission) and Redis: in one process a submission takes about twice as long
as the CPU it uses, so two workers per core keep the cores busy through those waits. The
load generator and PostgreSQL share the same cores, so more workers would only add context
switches. Both targets run on the same server, so the comparison holds whatever the count;
``--workers 2`` gave the same rates within noise (the cores are saturated either way).

The server runs with the deployment's defaults otherwise, persistent database connections
included (``DB_CONN_MAX_AGE`` unset: 60 s, as in production); ``--conn-max-age 0`` shows what a
new connection per request costs.

``--profile`` then times the steps of a submission in this process (same settings, same
body, Django's test client), prints its SQL statements by kind and its cProfile hot spots.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

from harness import (
    CpuMeter,
    Server,
    create_database,
    http_request,
    load_average,
    percentile,
    postmaster_pid,
    ratio_line,
    same_run,
)

TARGET_RATIO = 0.5
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/presspass_submitbench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
BARE_PATH = "/bench/bare/"
BARE_KEPT_PATH = "/bench/bare-kept/"
REQUEST_TIMEOUT = 60.0  # harness.http_request's default


# --- Set-up --------------------------------------------------------------------------------


def make_documents(folder: Path) -> dict[str, tuple[str, bytes, str]]:
    """The three uploads, as a phone and an office scanner make them (grain, so they do not
    compress): slot -> (file name, content, content type)."""
    from tests import corpus

    identity = corpus.make_scan(folder / "passport-scan.jpg")
    card = corpus.make_scanned_letter_pdf(folder / "press-card.pdf")
    photo = corpus.make_portrait(folder / "portrait.jpg", size=(3000, 4000), framing="half")
    return {
        "identity": ("passport-scan.jpg", identity.read_bytes(), "image/jpeg"),
        "press_card": ("press-card.pdf", card.read_bytes(), "application/pdf"),
        "photo": ("IMG_20251012_101502.jpg", photo.read_bytes(), "image/jpeg"),
    }


def setup_django(env: dict[str, str]) -> tuple[str, dict]:
    """Migrate, seed the open event; return its slug and a valid application's text fields."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from events.demo import seed_ga93
    from tests.factories import application_data

    call_command("migrate", verbosity=0)
    event = seed_ga93().event
    data = application_data(event)
    connections.close_all()
    return event.slug, data


class Redis:
    def __init__(self, url: str):
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url)

    def keys(self) -> int:
        return self.client.dbsize()

    def queued(self) -> int:
        return self.client.llen("celery")

    def flush(self) -> None:
        self.client.flushdb()

    def pid(self) -> int | None:
        return self.client.info("server").get("process_id")


def cpu_by_who(spent: dict[str, float]) -> dict[str, float]:
    """CPU seconds of a round by who used them (from a harness CpuMeter): the web server
    (gunicorn and its workers), the PostgreSQL server (every backend, including other users of
    the server), Redis, this load generator, everything else on this machine (other), and the
    hypervisor's steal (other virtual machines on the same host)."""
    parts = {who: spent[who] for who in ("web", "db", "redis", "client")}
    parts["other"] = max(0.0, spent["machine busy"] - sum(parts.values()))
    parts["steal"] = spent["machine steal"]
    return parts


# --- HTTP ----------------------------------------------------------------------------------


def multipart_parts(
    boundary: str, fields: list[tuple[str, str]], files: list[tuple[str, str, bytes, str]]
) -> bytes:
    out = []
    for name, value in fields:
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, filename, content, mime in files:
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    return b"".join(out)


@dataclass
class Client:
    """One journalist's browser: its cookies and the form's CSRF token."""

    port: int
    form_path: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def _remember(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def open_form(self) -> None:
        status, headers, body = http_request("GET", self.port, self.form_path)
        if status != 200:
            raise SystemExit(f"GET {self.form_path} answered {status}: {body[:500]!r}")
        self._remember(headers)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if not match or "sessionid" not in self.cookies:
            raise SystemExit("the form gave no CSRF token or no session cookie")
        self.csrf = match.group(1).decode()

    def post(self, path: str, body: list[bytes], content_type: str) -> tuple[int, str, bytes]:
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(sum(len(part) for part in body)),
            "Cookie": self.cookie_header(),
            "Origin": f"http://127.0.0.1:{self.port}",
            "Referer": f"http://127.0.0.1:{self.port}{self.form_path}",
        }
        status, response_headers, answer = http_request(
            "POST", self.port, path, body=body, headers=headers
        )
        self._remember(response_headers)
        location = next((v for k, v in response_headers if k.lower() == "location"), "")
        return status, location, answer


class Submissions:
    """Builds each submission's body: the same files every time, a new e-mail address each."""

    def __init__(self, data: dict, documents: dict[str, tuple[str, bytes, str]]):
        self.run = uuid.uuid4().hex[:10]
        self.counter = itertools.count()
        self.lock = threading.Lock()
        self.boundary = "----WebKitFormBoundary" + uuid.uuid4().hex[:16]
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.data = data
        # The order and the parts a browser sends: every field, the empty mission letter
        # input as an empty file part, the honeypot left empty.
        empty = ("mission_letter", "", b"", "application/octet-stream")
        files = [(slot, *documents[slot]) for slot in ("identity", "press_card")]
        files += [empty, ("photo", *documents["photo"])]
        self.files_blob = (
            multipart_parts(self.boundary, [], files) + f"--{self.boundary}--\r\n".encode()
        )

    def next_email(self) -> str:
        with self.lock:
            n = next(self.counter)
        return f"bench-{self.run}-{n}@example.com"

    def body(self, csrf: str) -> list[bytes]:
        fields = [("csrfmiddlewaretoken", csrf)]
        for name, value in {**self.data, "email": self.next_email(), "homepage": ""}.items():
            for item in value if isinstance(value, list) else [value]:
                fields.append((name, str(item)))
        return [multipart_parts(self.boundary, fields, []), self.files_blob]

    @property
    def size(self) -> int:
        return sum(len(part) for part in self.body("x" * 64))


# --- Load ----------------------------------------------------------------------------------


@dataclass
class Round:
    target: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by who, in the round

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def run_round(
    target: str,
    path: str,
    clients: list[Client],
    submissions: Submissions,
    count: int,
    deadline: float,
    meter: CpuMeter,
) -> Round:
    """`count` posts spread over the clients, each client posting one after the other."""
    result = Round(target)
    expected = (302, "/apply/submitted/") if target == "real" else (200, "")  # bare, kept
    tickets = iter(range(count))
    lock = threading.Lock()

    def work(client: Client) -> None:
        while time.monotonic() < deadline:
            with lock:
                if next(tickets, None) is None:
                    return
            body = submissions.body(client.csrf)
            started = time.perf_counter()
            try:
                status, location, answer = client.post(path, body, submissions.content_type)
            except OSError as exc:
                status, location, answer = 0, "", repr(exc).encode()
            elapsed = time.perf_counter() - started
            with lock:
                if status == expected[0] and location.endswith(expected[1]):
                    result.latencies.append(elapsed)
                else:
                    result.failures.append(f"{status} {location} {summarise(answer)}")

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    cpu_before = meter.snapshot()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, deadline - time.monotonic() + REQUEST_TIMEOUT))
    result.wall = time.perf_counter() - started
    result.cpu = cpu_by_who(meter.spent(cpu_before))
    return result


def summarise(answer: bytes) -> str:
    text = answer.decode("utf-8", "replace")
    errors = re.findall(r'class="invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?([^<]+)', text)
    if errors:
        return "; ".join(e.strip() for e in errors[:3])
    title = re.search(r"<title>([^<]+)</title>", text)
    return (title.group(1) if title else text[:200]).strip()


def report(label: str, rounds: list[Round]) -> tuple[float, dict[str, float]]:
    """Print one target's line; return its rate and its CPU milliseconds per request."""
    latencies = [x for r in rounds for x in r.latencies]
    wall = sum(r.wall for r in rounds)
    rate = len(latencies) / wall if wall else 0.0
    failures = sum(len(r.failures) for r in rounds)
    per_round = " ".join(f"{r.rate:.1f}" for r in rounds)
    done = max(1, sum(len(r.latencies) + len(r.failures) for r in rounds))
    cpu = {k: sum(r.cpu[k] for r in rounds) * 1000 / done for k in rounds[0].cpu}
    if latencies:
        print(
            f"{label:10} {len(latencies):5d} {failures:6d} {rate:7.1f} "
            f"{statistics.median(latencies) * 1000:7.0f} {percentile(latencies, 99) * 1000:7.0f} "
            f"{max(latencies) * 1000:7.0f}   {per_round:12} "
            + " ".join(f"{cpu[k]:6.0f}" for k in ("web", "db", "redis", "client", "other", "steal"))
        )
    else:
        print(f"{label:10} {0:5d} {failures:6d}   (no successful request)")
    return rate, cpu


# --- Profile of one submission ---------------------------------------------------------------


# Steps of a submission timed by --profile: (object path, attribute, label). A step that no
# longer exists (the app moved on) is skipped.
PROFILE_STEPS = [
    ("django.http.request.HttpRequest", "_load_post_and_files", "parse the body (and SHA-256)"),
    ("django.contrib.sessions.backends.db.SessionStore", "load", "session: load"),
    ("accreditation.apply.pending", "uploads_check", "file types, photo header"),
    ("accreditation.apply.pending", "screen", "  whole-file screening (3 files)"),
    ("accreditation.apply.forms.ApplicationForm", "full_clean", "form validation"),
    ("accreditation.apply.submission", "request_submit", "request_submit, in all:"),
    ("accreditation.apply.submission", "application_errors", "  rules (application_errors)"),
    ("accreditation.apply.submission", "store_uploads", "  move the 3 files into private storage"),
    ("accreditation.apply.submission", "_create_request", "  INSERT the request"),
    ("accreditation.apply.submission", "audit", "  audit entry"),
    ("accreditation.notify.outbox", "enqueue", "  outbox rows (3)"),
    ("accreditation.notify.outbox", "dispatch_many", "  outbox dispatch after commit (3)"),
    ("django.contrib.sessions.backends.db.SessionStore", "save", "session: save"),
    ("django.core.handlers.base.BaseHandler", "get_response", "whole request"),
]


def _timed_steps() -> tuple[dict[str, list[float]], list]:
    import functools
    import importlib

    totals: dict[str, list[float]] = {}
    undo = []
    for dotted, attribute, label in PROFILE_STEPS:
        module_name, _, class_name = dotted.rpartition(".")
        try:
            owner = importlib.import_module(dotted)
        except ImportError:
            owner = getattr(importlib.import_module(module_name), class_name, None)
        original = getattr(owner, attribute, None)
        if original is None:
            continue
        totals[label] = [0.0, 0.0]

        def timed(*args, __original=original, __label=label, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return __original(*args, **kwargs)
            finally:
                totals[__label][0] += time.perf_counter() - wall
                totals[__label][1] += time.process_time() - cpu

        setattr(owner, attribute, functools.wraps(original)(timed))
        undo.append((owner, attribute, original))
    return totals, undo


def profile_one(slug: str, submissions: Submissions, count: int = 20) -> None:
    """Time the steps of `count` submissions in this process (Django's test client: no
    network, no new database connection per request), then the bare view, then list one
    submission's SQL statements and its cProfile hot spots."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    form = f"/events/{slug}/apply/"
    page = client.get(form).content
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    def post(path: str, expected: int) -> None:
        body = b"".join(submissions.body(csrf))
        response = client.generic("POST", path, body, content_type=submissions.content_type)
        if response.status_code != expected:
            raise SystemExit(f"profile: {path} answered {response.status_code}")

    for _ in range(3):
        post(form, 302)
        post(BARE_PATH, 200)
    totals, undo = _timed_steps()
    try:
        print(f"\nIn-process profile, mean of {count} (wall ms, CPU ms of this process only):")
        for path, expected, title in ((form, 302, "real form"), (BARE_PATH, 200, "bare view")):
            for value in totals.values():
                value[:] = [0.0, 0.0]
            for _ in range(count):
                post(path, expected)
            print(f"  {title}")
            for label, (wall, cpu) in totals.items():
                if wall:
                    print(f"    {label:50} {wall * 1000 / count:7.1f} {cpu * 1000 / count:7.1f}")
    finally:
        for owner, attribute, original in undo:
            setattr(owner, attribute, original)

    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        post(form, 302)
        profiler.disable()
    by_kind: dict[str, int] = {}
    for query in queries.captured_queries:
        kind = query["sql"].split(None, 1)[0].upper()
        by_kind[kind] = by_kind.get(kind, 0) + 1
    print(
        f"  one submission: {len(queries)} SQL statements ("
        + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))
        + ")"
    )
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


# --- Main ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="posts per target (200)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (4)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per target")
    parser.add_argument("--max-seconds", type=float, default=200, help="bound of the load phase")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="cache and broker (flushed)")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep the requests of earlier runs (by default the bench database is dropped and "
        "recreated: the duplicate e-mail check scans the event's requests, so figures from a "
        "grown database are not comparable)",
    )
    parser.add_argument("--flush-redis-first", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile one submission too")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="DB_CONN_MAX_AGE for the server (default: unset, the deployment's default of 60 s; "
        "0 opens a new database connection per request)",
    )
    args = parser.parse_args()
    for name in ("database", "redis"):
        host = urlsplit(getattr(args, name)).hostname
        if host not in {"127.0.0.1", "localhost"}:
            parser.error(f"--{name} must be on 127.0.0.1: this benchmark never leaves the machine")
    if "bench" not in args.database.rsplit("/", 1)[1]:
        parser.error("--database must name a benchmark database (with 'bench' in its name)")

    redis = Redis(args.redis)
    if redis.keys() and not args.flush_redis_first:
        print(
            f"{args.redis} holds {redis.keys()} keys; the benchmark flushes it at the end. "
            "Choose an empty db or pass --flush-redis-first.",
            file=sys.stderr,
        )
        return 2
    redis.flush()

    workdir = Path(tempfile.mkdtemp(prefix="presspass-submitbench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "DATABASE_URL": args.database,
        "REDIS_URL": args.redis,
        "CELERY_BROKER_URL": args.redis,
        "PRESSPASS_VAR_DIR": str(workdir / "var"),
        "PRIVATE_STORAGE_ROOT": str(workdir / "private"),
        "PRESSPASS_SUBMISSIONS_PER_HOUR": "1000000",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "0",
    }
    for variable in ("PRESSPASS_ENV", "PRIVATE_STORAGE_S3_BUCKET", "DB_CONN_MAX_AGE"):
        env.pop(variable, None)  # the default development deployment, local storage
        os.environ.pop(variable, None)  # and the same for --profile, in this process
    if args.conn_max_age is not None:
        env["DB_CONN_MAX_AGE"] = str(args.conn_max_age)
    server = Server(
        "bench.bench_settings",
        env=env,
        workers=args.workers,
        timeout=60,
        log=workdir / "gunicorn.log",
    )
    try:
        t0 = time.monotonic()
        create_database(args.database, fresh=not args.reuse_db)
        slug, data = setup_django(env)
        documents = make_documents(workdir)
        submissions = Submissions(data, documents)
        form = f"/events/{slug}/apply/"
        sizes = ", ".join(f"{k} {len(v[1]) / 1e6:.2f} MB" for k, v in documents.items())
        print(f"Uploads: {sizes}; whole body {submissions.size / 1e6:.2f} MB")
        print(
            f"Set-up {time.monotonic() - t0:.0f} s. gunicorn: {args.workers} sync workers on "
            f"{os.cpu_count()} cores; clients: {args.concurrency} threads; "
            f"{args.requests} posts per target in {args.rounds} alternating rounds; "
            f"DB_CONN_MAX_AGE={env.get('DB_CONN_MAX_AGE', 'unset (the default, 60 s)')}"
        )
        print(
            f"Background work: Celery broker {args.redis}, no worker: checks and e-mails are "
            "queued, not run (web tier only); the queue is flushed at the end."
        )
        server.start(form)
        meter = CpuMeter(
            {"web": server.pid, "db": postmaster_pid(args.database), "redis": redis.pid()},
            shallow={"redis"},
        )
        clients = [Client(server.port, form) for _ in range(args.concurrency)]
        for client in clients:
            client.open_form()

        deadline = time.monotonic() + args.max_seconds
        load_before = load_average()
        warm = max(2 * args.workers, args.concurrency)
        for target, path in (("bare", BARE_PATH), ("kept", BARE_KEPT_PATH), ("real", form)):
            warmup = run_round(target, path, clients, submissions, warm, deadline, meter)
            if warmup.failures:
                print(f"warm-up {target}: {len(warmup.failures)} failed: {warmup.failures[0]}")
        per_round = -(-args.requests // args.rounds)

        def measure(target: str, path: str):
            return lambda: run_round(target, path, clients, submissions, per_round, deadline, meter)

        # Alternating rounds, bare view then real form, on the same server.
        measured = same_run(
            measure("bare", BARE_PATH),
            {"kept": measure("kept", BARE_KEPT_PATH), "real": measure("real", form)},
            args.rounds,
        )
        rounds: dict[str, list[Round]] = {
            "bare": [r["baseline"] for r in measured],
            "kept": [r["kept"] for r in measured],
            "real": [r["real"] for r in measured],
        }
        load_after = load_average()
        queued = redis.queued()

        print(f"\n{'':10} {'':5} {'':6} {'':7} {'':7} {'':7} {'':7}   {'':12} CPU ms per request")
        print(
            f"{'target':10} {'ok':>5} {'failed':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'max ms':>7}   {'req/s/round':12} {'web':>6} {'db':>6} {'redis':>6} "
            f"{'client':>6} {'other':>6} {'steal':>6}"
        )
        bare_rate, bare_cpu = report("bare view", rounds["bare"])
        kept_rate, _kept_cpu = report("bare, kept", rounds["kept"])
        real_rate, real_cpu = report("real form", rounds["real"])
        ratio = real_rate / bare_rate if bare_rate else 0.0
        ours = ("web", "db", "redis", "client")
        cpu_ratio = sum(bare_cpu[k] for k in ours) / max(1e-9, sum(real_cpu[k] for k in ours))
        print(
            "  (web: gunicorn and its workers; db: the whole PostgreSQL server; other: the rest "
            "of this machine; steal: CPU the hypervisor gave to other machines)"
        )
        failures = [f for rs in rounds.values() for r in rs for f in r.failures]
        for failure in sorted(set(failures))[:5]:
            print(f"  failure: {failure}")
        passed = ratio >= TARGET_RATIO and not failures
        print("\n" + ratio_line("real/bare", ratio, TARGET_RATIO, passed))
        kept_ratio = real_rate / kept_rate if kept_rate else 0.0
        print(
            f"real/(bare, files kept) = {kept_ratio:.2f}: against a floor that also keeps the "
            f"5 MB it receives (bare, kept / bare = {kept_rate / max(1e-9, bare_rate):.2f})"
        )
        print(
            f"CPU per request, bare/real = {cpu_ratio:.2f}: the rate ratio the same work would "
            "give on an otherwise idle machine (both are CPU-bound here)"
        )
        foreign = {
            target: sum(r.cpu["other"] for r in rs)
            / max(1e-9, sum(sum(r.cpu.values()) for r in rs))
            for target, rs in rounds.items()
        }
        if max(foreign.values()) > 0.1:
            print(
                "WARNING: other processes on this machine took "
                + " and ".join(
                    f"{share:.0%} of the CPU in the {t} rounds" for t, share in foreign.items()
                )
                + ": the rates and their ratio are disturbed; the CPU ratio much less."
            )
        print(
            f"Celery messages left queued: {queued}. Load average (1, 5, 15 min): before "
            f"{load_before}, after {load_after}"
        )
        if args.profile:
            profile_one(slug, submissions)
        return 0 if passed else 1
    finally:
        server.stop()
        redis.flush()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
