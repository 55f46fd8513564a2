#!/usr/bin/env python
"""Benchmark: the gate's scan endpoint against a trivial Django JSON view, in the same run.

Target (issue 6): on this 2-core machine, with gunicorn and PostgreSQL and 30,000 badges, the
scan endpoint sustains at least 0.3× the throughput of a trivial Django JSON view, with p99
latency under 25 ms, at most 3 SQL queries per scan, and every scan durably logged.

    python bench/bench_scan.py [--badges 30000] [--seconds 15] [--connections 8]
        [--database postgres://postgres@127.0.0.1:5432/presspass_scanbench]

What it does:
1. creates (or reuses) the benchmark database, migrates it and fills it once with an event,
   a session admitting now, a checkpoint, a gate agent and N collected badges with genuinely
   signed codes; empties the scan log;
2. counts the SQL queries of one scan through config.wsgi's application (same database);
3. starts gunicorn (3 sync workers, as the Procfile; persistent database connections) with a
   bench-only URLconf (bench/scan_bench_urls.py) that adds a trivial JSON view;
4. drives both endpoints with wrk (``apt-get install wrk``) on 127.0.0.1 — a fixed number of
   connections for a fixed time, after a warm-up — each scan a different badge and a new
   scan id, so every one is a real decision and a real INSERT; in each of --rounds rounds
   (3), a scan run and then (unless --no-lean-probe) the lean probe
   (bench/scan_bench_urls.py): the scan path the target's 0.3× was set from — Ed25519
   verification, one indexed SELECT, one INSERT, nothing else; it reached about 0.3× the
   trivial view on the machine where the target was set — as a calibration of this machine
   against that one; a trivial run before the first round and after each (bench/harness.py's
   same_run);
5. checks that the scan log holds every scan that got a 200 (durability: synchronous_commit
   stays on), and prints a table: every run, and the verdict on the median round (each
   round's scan rate against the mean of the trivial runs on either side of it), and the load
   average before and after.
Without wrk it falls back to a Python load generator (threads, keep-alive off, fixed count),
which takes CPU from the server and so understates both rates alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import (
    ROOT,
    CpuMeter,
    Server,
    create_database,
    http_request,
    load_average,
    percentile,
    postmaster_pid,
    ratio,
    same_run,
)

TARGET_RATIO = 0.3
TARGET_P99_MS = 25.0
TARGET_QUERIES = 3

WRK_SCRIPT = r"""
local codes = {}
for line in io.lines("%(codes)s") do codes[#codes + 1] = line end
local token = "%(token)s"
local run = "%(run)s"
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  local code = codes[((counter * 7919) + tid * 104729) %% #codes + 1]
  local body = '{"code":"' .. code .. '","device_id":"bench","client_scan_id":"' .. run ..
               '-' .. tid .. '-' .. counter .. '"}'
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then statuses[status] = (statuses[status] or 0) + 1 end
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"errors": %%d, "non2xx": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""

TRIVIAL_SCRIPT = r"""
function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--badges", type=int, default=30000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=3, help="as the Procfile's default (WEB_CONCURRENCY)"
    )
    parser.add_argument("--threads", type=int, default=1, help="> 1: gthread workers")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="scan (and probe) runs, each between two trivial runs; the verdict is the median",
    )
    parser.add_argument(
        "--conn-health-checks",
        choices=["project", "on", "off"],
        default="project",
        help="Django's CONN_HEALTH_CHECKS (a SELECT 1 per request): the project's, or forced",
    )
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/presspass_scanbench"
    )
    parser.add_argument(
        "--no-lean-probe",
        action="store_true",
        help="skip the calibration: the lean probe (verify, SELECT, INSERT; bench/README.md)",
    )
    args = parser.parse_args()

    os.environ["BENCH_CONN_HEALTH_CHECKS"] = args.conn_health_checks
    create_database(args.database)
    os.environ["DATABASE_URL"] = args.database
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.scan_bench_settings"
    os.environ.setdefault("PRESSPASS_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ["DB_CONN_MAX_AGE"] = "600"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"Filling {args.badges:,} badges (once)…", flush=True)
    started = time.perf_counter()
    checkpoint, agent, codes = fill(args.badges)
    print(f"  ready in {time.perf_counter() - started:.1f} s", flush=True)

    from django.db.models import Count, Q

    from accreditation.gate.api import issue_token
    from accreditation.models import Scan

    empty_scan_log()
    token = issue_token(agent, "bench")  # a gate token names its device
    scan_path = f"/gate/api/checkpoints/{checkpoint.pk}/scan"
    queries = count_queries(scan_path, token, codes[0])
    empty_scan_log()
    settings_line = postgres_settings()

    from django.db import connections

    connections.close_all()
    server = Server("bench.scan_bench_settings", workers=args.workers, threads=args.threads)
    load_before = load_average()
    try:
        server.start("/bench/trivial", within=30)
        base = server.base
        meter = CpuMeter({"gunicorn": server.pid, "postgres": postmaster_pid(args.database)})
        with tempfile.TemporaryDirectory() as tmp:
            codes_file = Path(tmp) / "codes.txt"
            codes_file.write_text("\n".join(codes) + "\n")
            runner = WrkRunner(tmp, args, meter) if shutil.which("wrk") else PythonRunner(args)

            def scan() -> dict:
                result = runner.scan(base, scan_path, token, codes_file, codes)
                result.update(
                    Scan.objects.aggregate(
                        logged=Count("pk"), admitted=Count("pk", filter=Q(decision="admit"))
                    )
                )
                return result

            targets = {"scan": scan}
            if not args.no_lean_probe:
                probe_path = f"/bench/lean-probe/{checkpoint.pk}/{agent.pk}"
                targets["probe"] = lambda: runner.scan(base, probe_path, token, codes_file, codes)
            # Each round: trivial before (the previous round's after), scan, probe, trivial after.
            rounds = same_run(
                lambda: runner.trivial(base + "/bench/trivial"),
                targets,
                args.rounds,
                bracket=True,
                progress=True,
            )
    finally:
        server.stop()
    load_after = load_average()

    connections.close_all()
    for r in rounds:
        r.setdefault("probe", None)
        r["trivial"] = (r["baseline"]["rate"] + r["baseline after"]["rate"]) / 2
        r["ratio"] = ratio(r["scan"]["rate"], r["trivial"])
        logged = r["scan"]["logged"]
        r["durable"] = r["scan"]["ok"] <= logged <= r["scan"]["ok"] + args.connections * 2

    print()
    print(f"load generator: {runner.name}, {args.connections} connections, {args.seconds} s")
    print(f"server: {server.describe()}; {settings_line}")
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    print(f"rounds: {args.rounds}, each a scan run and a probe run between two trivial runs")
    print(f"{'endpoint':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8}")
    measured = [("trivial JSON view", rounds[0]["baseline"])]
    for number, r in enumerate(rounds, 1):
        measured.append((f"scan, round {number}", r["scan"]))
        if r["probe"] is not None:
            measured.append((f"lean probe, round {number}", r["probe"]))
        measured.append(("trivial JSON view", r["baseline after"]))
    for label, r in measured:
        print(f"{label:28} {r['rate']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['bad']:8d}")
    if all("cpu" in r for _label, r in measured):
        print()
        print(
            "CPU per request, ms (user + system; 'other': the rest of the machine's busy time;"
            " 'steal': CPU time the hypervisor gave to other machines)"
        )
        print(
            f"{'endpoint':28} {'gunicorn':>9} {'postgres':>9} {'wrk':>6} {'other':>6} {'busy':>5}"
            f" {'steal':>5}"
        )
        for label, r in measured:
            c = r["cpu"]
            print(
                f"{label:28} {c['gunicorn']:9.3f} {c['postgres']:9.3f} {c['load generator']:6.3f}"
                f" {c['other']:6.3f} {c['busy']:5.0%} {c['steal']:5.0%}"
            )

    # The verdict takes the median round: one disturbed run (the machine is shared) neither
    # passes nor fails the target on its own; every round's figure is printed beside it.
    def spread(values, fmt):
        return " ".join(fmt.format(v) for v in values)

    ratios = [r["ratio"] for r in rounds]
    p99s = [r["scan"]["p99"] for r in rounds]
    median_ratio, p99 = statistics.median(ratios), statistics.median(p99s)
    print()
    print(f"{'measure (median of the rounds)':34} {'value':>12} {'target':>12}       rounds")
    rows = [
        (
            "scan / trivial throughput",
            f"{median_ratio:.2f}×",
            f"≥ {TARGET_RATIO}×",
            median_ratio >= TARGET_RATIO,
            spread(ratios, "{:.2f}"),
        ),
        (
            "scan p99 latency",
            f"{p99:.1f} ms",
            f"< {TARGET_P99_MS:.0f} ms",
            p99 < TARGET_P99_MS,
            spread(p99s, "{:.1f}"),
        ),
        (
            "SQL queries per scan",
            str(queries),
            f"≤ {TARGET_QUERIES}",
            queries <= TARGET_QUERIES,
            "",
        ),
        (
            "scans logged / answered 200",
            f"{sum(r['scan']['logged'] for r in rounds):,}"
            f" / {sum(r['scan']['ok'] for r in rounds):,}",
            "all",
            all(r["durable"] for r in rounds),
            "",
        ),
        ("admitted among logged", f"{sum(r['scan']['admitted'] for r in rounds):,}", "", True, ""),
    ]
    if all("cpu" in r for _label, r in measured):
        # The machine is shared: the throughput ratio moves with other work, the ratio of CPU
        # per request (this bench's processes only) much less. Shown, not a target.
        def total(r):
            return sum(r["cpu"][k] for k in ("gunicorn", "postgres", "load generator"))

        cpu_ratios = [
            (total(r["baseline"]) + total(r["baseline after"])) / 2 / total(r["scan"])
            for r in rounds
        ]
        rows.append(
            (
                "CPU per request, trivial / scan",
                f"{statistics.median(cpu_ratios):.2f}×",
                "",
                True,
                spread(cpu_ratios, "{:.2f}"),
            )
        )
    if all(r["probe"] is not None for r in rounds):
        # Not a target: what the lean probe (about 0.3× on the machine where the target was set)
        # reaches on this machine, in this run — how far the machine, not the code, moved.
        probes = [r["probe"]["rate"] / r["trivial"] for r in rounds]
        of_probe = [r["scan"]["rate"] / r["probe"]["rate"] for r in rounds]
        rows.append(
            (
                "lean probe / trivial (calibration)",
                f"{statistics.median(probes):.2f}×",
                "",
                True,
                spread(probes, "{:.2f}"),
            )
        )
        rows.append(
            (
                "scan / lean probe",
                f"{statistics.median(of_probe):.2f}×",
                "",
                True,
                spread(of_probe, "{:.2f}"),
            )
        )
    for label, value, target, ok, each in rows:
        print(f"{label:34} {value:>12} {target:>12}  {'ok' if ok else 'MISSED':6} {each}")
    if not all(r[3] for r in rows):
        sys.exit(1)


# --- the database -------------------------------------------------------------------------------


def empty_scan_log() -> None:
    """Empty the scan log before a measured run, leaving no work behind for the run to meet.

    A DELETE of the previous run's ≈ 10,000 rows left dead rows that autovacuum then cleaned up
    during the next run, and the WAL they wrote brought a checkpoint into it: p99 went from
    ≈ 20 ms to 100–500 ms for the scan and the probe alike. TRUNCATE leaves nothing dead, and a
    CHECKPOINT (superuser; skipped otherwise) writes out the dirty pages now."""
    from django.db import connection

    from accreditation.models import Scan

    if connection.vendor != "postgresql":
        Scan.objects.all().delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(Scan._meta.db_table)}")
        try:
            cursor.execute("CHECKPOINT")
        except Exception:  # not a superuser: a checkpoint may then fall into the run
            pass


def postgres_settings() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        values = []
        for name in ("synchronous_commit", "fsync", "commit_delay"):
            cursor.execute(f"show {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    checks = connection.settings_dict.get("CONN_HEALTH_CHECKS", False)
    return "PostgreSQL " + ", ".join(values) + f"; CONN_HEALTH_CHECKS={checks}"


def fill(total: int):
    """An event with one session admitting now, a checkpoint, a gate agent, and `total`
    collected badges with codes signed by the development key. Reused across runs."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from accreditation.badges.signing import BadgeClaims, load_private_key, sign_claims
    from accreditation.models import AccreditationRequest, Badge, Status
    from events.models import Checkpoint, Event, Session
    from tests.factories import make_event, make_user

    event = Event.objects.filter(slug="scanbench").first() or make_event(slug="scanbench")
    now = timezone.now()
    session, _ = Session.objects.get_or_create(
        event=event,
        kind="press_conference",
        title="Bench session",
        defaults={"media_access": "open"},
    )
    # Admitting now, whatever day the benchmark runs.
    Session.objects.filter(pk=session.pk).update(
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now + dt.timedelta(days=1),
        media_access="open",
    )
    checkpoint, _ = Checkpoint.objects.get_or_create(event=event, name="Bench gate")
    checkpoint.sessions.set([session])
    from django.contrib.auth.models import User

    agent = User.objects.filter(username="bench-gate").first() or make_user(
        "bench-gate", "Gate agent"
    )
    have = Badge.objects.filter(event=event).count()
    key = load_private_key(settings.BADGE_SIGNING_KEY)
    key_id = settings.BADGE_SIGNING_KEY_ID
    if have < total:
        through = Badge.sessions.through
        for start in range(have, total, 5000):
            size = min(5000, total - start)
            requests = AccreditationRequest.objects.bulk_create(
                [
                    AccreditationRequest(
                        event=event,
                        reference=f"B{start + i:09d}"[-12:],
                        status=Status.COLLECTED,
                        language="fr",
                        given_names="Amina",
                        family_names=f"Bench {start + i}",
                        date_of_birth=dt.date(1985, 1, 1),
                        nationality="MA",
                        id_document_type="passport",
                        id_document_number=f"BX{start + i:08d}",
                        id_document_country="MA",
                        id_document_expiry=dt.date(2031, 1, 1),
                        email=f"bench{start + i}@example.com",
                        phone="+212600000000",
                        outlet_name="Le Matin",
                        outlet_type="print",
                        outlet_country="MA",
                        role="reporter",
                        employment="staff",
                        consent_version=1,
                        consent_given_at=now,
                        status_nonce="0" * 32,
                        submitted_at=now,
                    )
                    for i in range(size)
                ]
            )
            badges = Badge.objects.bulk_create(
                [
                    Badge(
                        request=r,
                        event=event,
                        key_id=key_id,
                        qr_text="",
                        collected_at=now,
                        printed_at=now,
                        print_count=1,
                    )
                    for r in requests
                ]
            )
            for badge in badges:
                badge.qr_text = sign_claims(
                    BadgeClaims(
                        badge_id=badge.pk,
                        version=1,
                        event_id=event.pk,
                        session_ids=(session.pk,),
                        key_id=key_id,
                    ),
                    key,
                )
            Badge.objects.bulk_update(badges, ["qr_text"], batch_size=1000)
            through.objects.bulk_create(
                [through(badge_id=b.pk, session_id=session.pk) for b in badges]
            )
    codes = list(
        Badge.objects.filter(event=event, key_id=key_id)
        .order_by("pk")
        .values_list("qr_text", flat=True)[:total]
    )
    if len(codes) < total:
        raise SystemExit(
            "the benchmark database holds badges signed with another key: drop it and rerun"
        )
    return checkpoint, agent, codes


def count_queries(path: str, token: str, code: str) -> int:
    """SQL statements of one admitted scan, through the WSGI application gunicorn serves."""
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from config.wsgi import application

    def scan(scan_id: str) -> dict:
        body = json.dumps(
            {"code": code, "device_id": "bench", "client_scan_id": "count-" + scan_id}
        )
        environ = (
            RequestFactory()
            .post(path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
            .environ
        )
        statuses = []
        response = application(environ, lambda status, headers, exc=None: statuses.append(status))
        content = b"".join(response)
        response.close()
        assert statuses == ["200 OK"], (statuses, content)
        return json.loads(content)

    scan("1")  # warm
    with CaptureQueriesContext(connection) as queries:
        answer = scan("2")
    assert answer["decision"] == "admit", answer
    return len(queries)


# --- load generators ----------------------------------------------------------------------------


class WrkRunner:
    name = "wrk"

    def __init__(self, tmp: str, args, meter: CpuMeter) -> None:
        self.tmp = Path(tmp)
        self.args = args
        self.runs = 0
        self.meter = meter

    def _measured(self, url: str, script: Path, seconds: int) -> dict:
        before = self.meter.snapshot()
        result = self._wrk(url, script, seconds)
        result["cpu"] = per_request(self.meter.spent(before), result["ok"] + result["bad"])
        return result

    def _wrk(self, url: str, script: Path, seconds: int) -> dict:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{self.args.connections}",
                f"-d{seconds}s",
                "--timeout",
                "5s",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
        data = json.loads(line[len("WRKJSON ") :])
        bad = data["non2xx"] + data["errors"]
        return {
            "rate": data["requests"] / (data["duration_us"] / 1e6),
            "p50": data["p50_us"] / 1000,
            "p99": data["p99_us"] / 1000,
            "bad": bad,
            "ok": data["requests"] - data["non2xx"],
        }

    def trivial(self, url: str) -> dict:
        script = self.tmp / "trivial.lua"
        script.write_text(TRIVIAL_SCRIPT)
        self._wrk(url, script, self.args.warmup)
        return self._measured(url, script, self.args.seconds)

    def scan(self, base: str, path: str, token: str, codes_file: Path, codes) -> dict:
        result = None
        for phase, seconds in (("warm", self.args.warmup), ("run", self.args.seconds)):
            self.runs += 1
            script = self.tmp / f"scan-{phase}.lua"
            script.write_text(
                WRK_SCRIPT
                % {"codes": codes_file, "token": token, "run": f"{phase}{self.runs}", "path": path}
            )
            result = self._measured(base + path, script, seconds)
            if phase == "warm":
                from django.db import connections

                empty_scan_log()
                connections.close_all()
        return result


def per_request(spent: dict[str, float], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request (user + system) of the server's processes, PostgreSQL's
    and the load generator's, from a harness CpuMeter: where a request's time goes; and the
    machine's busy and steal fractions (busy: all but idle and I/O wait, steal included)."""
    n = max(requests, 1)
    out = {
        "gunicorn": spent["gunicorn"] * 1000 / n,
        "postgres": spent["postgres"] * 1000 / n,
        "load generator": spent["client"] * 1000 / n,
    }
    machine = spent["machine all"]
    busy = machine - spent["machine idle"] - spent["machine iowait"]
    out["busy"] = busy / machine if machine else 0.0
    # Time the hypervisor gave this virtual machine's CPUs to others: a run with steal
    # measures the neighbours as much as the code.
    out["steal"] = spent["machine steal"] / machine if machine else 0.0
    out["other"] = busy * 1000 / n - sum(out[k] for k in ("gunicorn", "postgres", "load generator"))
    return out


class PythonRunner:
    """Fallback: threads sending a fixed number of requests each (one connection per request,
    as gunicorn's sync workers close it anyway)."""

    name = "python threads (wrk not installed)"

    def __init__(self, args) -> None:
        self.args = args

    def _run(self, make_request, count: int) -> dict:
        latencies: list[float] = []
        bad = [0]
        lock = threading.Lock()

        def worker(n: int, offset: int) -> None:
            mine = []
            for i in range(n):
                method, url, body, headers = make_request(offset + i)
                port = int(url.split("/")[2].split(":")[1])
                path = "/" + url.split("/", 3)[3]
                t = time.perf_counter()
                status, _, _ = http_request(
                    method, port, path, body=body, headers=headers, timeout=5
                )
                mine.append(time.perf_counter() - t)
                if status != 200:
                    with lock:
                        bad[0] += 1
            with lock:
                latencies.extend(mine)

        per = count // self.args.connections
        threads = [
            threading.Thread(target=worker, args=(per, k * per))
            for k in range(self.args.connections)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        return {
            "rate": len(latencies) / elapsed,
            "p50": percentile(latencies, 50) * 1000,
            "p99": percentile(latencies, 99) * 1000,
            "bad": bad[0],
            "ok": len(latencies) - bad[0],
        }

    def trivial(self, url: str) -> dict:
        return self._run(lambda i: ("GET", url, None, {}), 400 * self.args.seconds)

    def scan(self, base: str, path: str, token: str, codes_file: Path, codes) -> dict:
        from django.db import connections

        empty_scan_log()  # each run counts its own scans
        connections.close_all()
        self.runs = getattr(self, "runs", 0) + 1
        run = self.runs

        def make(i: int):
            body = json.dumps(
                {
                    "code": codes[(i * 7919) % len(codes)],
                    "device_id": "bench",
                    "client_scan_id": f"py{run}-{i}",
                }
            )
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            return "POST", base + path, body, headers

        return self._run(make, 200 * self.args.seconds)


if __name__ == "__main__":
    main()
