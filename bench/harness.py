"""What the benchmarks in bench/ share: one copy of each, imported as ``from harness import …``
(the scripts run as files, so bench/ is on the path; importing this module puts the repository
root there too, so the project's packages and the ``bench.*`` settings modules import).

- ``free_port``, ``Server``: a gunicorn (or Django runserver) on 127.0.0.1 in its own process
  group, with a settings module and an environment, waited for until it answers, stopped with
  its workers;
- ``http_request``: one request on a fresh connection;
- ``CpuMeter``, ``process_cpu``, ``machine_cpu``, ``postmaster_pid``: CPU seconds spent by
  process trees (a server and its workers, PostgreSQL and its backends), by this process and
  the children it reaped (the load generator: its threads, or wrk), and by the whole machine,
  the hypervisor's steal included;
- ``load_average``, ``percentile``, ``high_water_mb``: figures every report prints;
- ``same_run``, ``ratio``, ``ratio_line``: a baseline and the targets measured in alternating
  rounds of the same run, on the same server, and the ratio judged against a target — on a
  shared machine only a baseline measured beside the target means anything;
- ``create_database``: the benchmark's own PostgreSQL database, created (or recreated).

Standard library only (psycopg is imported where a database is touched), so a child process
that imports this for ``high_water_mb`` measures the same memory as before.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

T = TypeVar("T")


# --- Figures -------------------------------------------------------------------------------


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: other work on this shared machine slows a run."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100) of a non-empty collection."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def proc_status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS, VmHWM…)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def high_water_mb() -> float:
    """This process's peak resident memory (the kernel's VmHWM), in MiB."""
    return proc_status_kb("VmHWM") / 1024


def reset_high_water() -> None:
    """Reset VmHWM to the current RSS (/proc/self/clear_refs; kept if the kernel refuses)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


# --- Same-run baseline ---------------------------------------------------------------------


def same_run(
    baseline: Callable[[], T],
    targets: Mapping[str, Callable[[], T]],
    rounds: int,
    *,
    bracket: bool = False,
    progress: bool = False,
) -> list[dict[str, T]]:
    """Measure a baseline and the targets in `rounds` alternating rounds of this run.

    Each round is a dict: ``"baseline"`` and one entry per target, run in that order. With
    ``bracket``, the baseline also runs after the last round and each round holds the
    baseline on both sides of its targets (``"baseline"`` before, ``"baseline after"``, which is
    the next round's ``"baseline"``): a target is then judged against the mean of the two, so a
    drift of the machine during the run moves both alike."""
    out: list[dict[str, T]] = []
    if bracket:
        before = baseline()
    for number in range(1, rounds + 1):
        if progress:
            print(f"  round {number} of {rounds}…", flush=True)
        one = {"baseline": before if bracket else baseline()}
        for name, run in targets.items():
            one[name] = run()
        if bracket:
            before = one["baseline after"] = baseline()
        out.append(one)
    return out


def ratio(target: float, baseline: float) -> float:
    """target / baseline, 0 when the baseline measured nothing."""
    return target / baseline if baseline else 0.0


def ratio_line(name: str, value: float, goal: float, ok: bool | None = None) -> str:
    """``name = 0.52 (target >= 0.5) PASS``; `ok` overrides value >= goal."""
    passed = value >= goal if ok is None else ok
    return f"{name} = {value:.2f} (target >= {goal}) {'PASS' if passed else 'FAIL'}"


# --- Server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(
    method: str,
    port: int,
    path: str,
    *,
    body: bytes | str | list[bytes] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request to 127.0.0.1 on a fresh connection (gunicorn's sync workers close after
    each answer anyway); the status, the headers and the body."""
    import http.client  # here: a child importing this for high_water_mb stays small

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


class Server:
    """gunicorn (``kind="gunicorn"``: sync workers, or gthread with ``threads`` > 1) or Django's
    runserver (``kind="runserver"``: one process, no reloader) on 127.0.0.1, in its own process
    group, with `settings` as DJANGO_SETTINGS_MODULE over `env` (default: this process's)."""

    def __init__(
        self,
        settings: str,
        *,
        env: Mapping[str, str] | None = None,
        kind: str = "gunicorn",
        app: str = "config.wsgi:application",
        workers: int = 3,
        threads: int = 1,
        timeout: int | None = None,
        log: Path | None = None,
    ) -> None:
        if kind not in ("gunicorn", "runserver"):
            raise ValueError(kind)
        self.port = free_port()
        self.env = {**(os.environ if env is None else env), "DJANGO_SETTINGS_MODULE": settings}
        self.kind, self.app, self.workers, self.threads = kind, app, workers, threads
        self.timeout, self.log = timeout, log
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        if self.kind == "runserver":
            return "Django runserver (one process)"
        if self.threads > 1:
            return f"gunicorn, {self.workers} gthread workers × {self.threads} threads"
        return f"gunicorn, {self.workers} sync workers"

    def command(self) -> list[str]:
        bind = f"127.0.0.1:{self.port}"
        if self.kind == "runserver":
            return [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", bind]
        command = [str(BIN / "gunicorn"), self.app, "--bind", bind, "--workers", str(self.workers)]
        command += ["--worker-class", "gthread" if self.threads > 1 else "sync"]
        command += ["--threads", str(self.threads), "--log-level", "warning"]
        if self.timeout is not None:
            command += ["--timeout", str(self.timeout)]
        return command

    def start(self, ready_path: str = "/", *, within: float = 60.0) -> None:
        """Start the server and wait until `ready_path` answers 200."""
        output = open(self.log, "wb") if self.log else None
        try:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                start_new_session=True,
            )
        finally:
            if output:
                output.close()
        self.wait_until_up(ready_path, within=within)

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log else "(see above)"

    def wait_until_up(self, path: str, *, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise SystemExit(f"{self.kind} exited:\n{self._log_tail()}")
            try:
                status, _, _ = http_request("GET", self.port, path, timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.kind} did not answer in {within:.0f} s:\n{self._log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the process group (the server and its workers), SIGKILL after 20 s."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- CPU accounting ------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int | None, *, with_children: bool = True) -> float:
    """CPU seconds (user + system) of a process and of its children it has reaped (cutime,
    cstime), plus, with `with_children`, the same for each live child: a server and its
    workers, or PostgreSQL's postmaster and its backends (those that exited included)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    own = (utime + stime + cutime + cstime) / CLOCK_TICKS
    if with_children:
        own += sum(process_cpu(int(child), with_children=False) for child in children)
    return own


@dataclass(frozen=True)
class MachineCpu:
    """CPU seconds of the whole machine (all cores) since boot, from /proc/stat: busy (user,
    nice, system, irq, softirq), idle, I/O wait, steal (time the hypervisor gave to other
    machines while this one wanted it) and the sum of every field."""

    busy: float
    idle: float
    iowait: float
    steal: float
    total: float


def machine_cpu() -> MachineCpu:
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = ticks[:7]
    steal = ticks[7] if len(ticks) > 7 else 0
    return MachineCpu(
        busy=(user + nice + system + irq + softirq) / CLOCK_TICKS,
        idle=idle / CLOCK_TICKS,
        iowait=iowait / CLOCK_TICKS,
        steal=steal / CLOCK_TICKS,
        total=sum(ticks) / CLOCK_TICKS,
    )


class CpuMeter:
    """Who used the CPU between two snapshots.

    `trees` names process trees by their root's pid (see ``process_cpu``; a name in `shallow`
    counts the process alone); ``"client"`` is this process and the children it reaped (the
    load generator: its own threads, or wrk run as a child); ``"machine busy"``, ``"machine
    idle"``, ``"machine iowait"``, ``"machine steal"`` and ``"machine all"`` are the whole
    machine's (``MachineCpu``). ``spent(before)`` gives the seconds since a snapshot."""

    def __init__(self, trees: Mapping[str, int | None], *, shallow: Iterable[str] = ()) -> None:
        self.trees = dict(trees)
        self.shallow = set(shallow)

    def snapshot(self) -> dict[str, float]:
        parts = {
            name: process_cpu(pid, with_children=name not in self.shallow)
            for name, pid in self.trees.items()
        }
        times = os.times()
        parts["client"] = times.user + times.system + times.children_user + times.children_system
        machine = machine_cpu()
        parts["machine busy"] = machine.busy
        parts["machine idle"] = machine.idle
        parts["machine iowait"] = machine.iowait
        parts["machine steal"] = machine.steal
        parts["machine all"] = machine.total
        return parts

    def spent(self, before: dict[str, float]) -> dict[str, float]:
        """CPU seconds since `before`. Clock ticks are read at slightly different moments, and
        a child that exited is counted by its parent only once reaped: never below zero."""
        after = self.snapshot()
        return {k: max(0.0, after[k] - before[k]) for k in before}


def libpq_url(url: str) -> str:
    """A postgres:// URL as psycopg takes it."""
    return url.replace("postgres://", "postgresql://", 1)


def postmaster_pid(url: str) -> int | None:
    """PostgreSQL's postmaster: the parent of this connection's backend (if it runs here)."""
    import psycopg

    try:
        with psycopg.connect(libpq_url(url)) as conn:
            backend = conn.execute("select pg_backend_pid()").fetchone()[0]
        stat = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        return int(stat[1])
    except (OSError, psycopg.Error):
        return None


# --- Database ------------------------------------------------------------------------------


def create_database(url: str, *, fresh: bool = False) -> None:
    """Create the database `url` names unless it exists; with `fresh`, drop it first."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(libpq_url(server) + "/postgres", autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'drop database "{name}" with (force)')
            exists = None
        if not exists:
            conn.execute(f'create database "{name}"')
