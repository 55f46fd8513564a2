"""GET /metrics: the numbers an operator watches on event day, for Prometheus.

The web node has several processes and the workers others, so what counts the work is read
from the database and the broker when Prometheus scrapes, the same for every node: requests by
status, scans by decision and reason, staff decisions, background tasks (waiting, failed, how
long the last hour's took), the queue's depth, checks stuck. The HTTP requests each process
answered (and how long they took) are counted per process, in prometheus-client's multiprocess
mode when PROMETHEUS_MULTIPROC_DIR is set (docs/deploy.md).

The page is off unless PRESSPASS_METRICS_TOKEN is set; Prometheus then sends it as a bearer
token (``authorization: {credentials: ...}`` in its scrape config).
"""

from __future__ import annotations

import datetime as dt
import os
import time

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

REQUESTS = Counter(
    "presspass_http_responses", "HTTP responses by method and status class", ["method", "status"]
)
LATENCY = Histogram(
    "presspass_http_seconds",
    "Time to answer a request",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def decision_actions() -> tuple[str, ...]:
    """The audit actions of staff decisions (the state machine's names, workflow.ACTIONS)."""
    from accreditation.models import Status
    from accreditation.workflow import ACTIONS

    decided = (Status.APPROVED, Status.REJECTED, Status.INFO_REQUESTED, Status.REVOKED)
    return (*(ACTIONS[s] for s in decided), "accreditation.reopened", "request.first_approval")


def metrics_middleware(get_response):
    def middleware(request):
        started = time.perf_counter()
        response = get_response(request)
        LATENCY.observe(time.perf_counter() - started)
        REQUESTS.labels(request.method, f"{response.status_code // 100}xx").inc()
        return response

    return middleware


class DatabaseCollector:
    """The work as the database and the broker hold it, read at each scrape."""

    def collect(self):
        from accreditation.models import AccreditationRequest, AuditEntry, OutboxTask, Scan, Status

        requests = GaugeMetricFamily(
            "presspass_requests", "Accreditation requests by status", labels=["status"]
        )
        counts = dict(AccreditationRequest.objects.values_list("status").annotate(n=Count("id")))
        for status in Status.values:
            requests.add_metric([status], counts.get(status, 0))
        yield requests

        scans = CounterMetricFamily(
            "presspass_scans", "Gate scans by decision and reason", labels=["decision", "reason"]
        )
        for decision, reason, n in (
            Scan.objects.values_list("decision", "reason").annotate(n=Count("id")).order_by()
        ):
            scans.add_metric([decision, reason], n)
        yield scans

        decisions = CounterMetricFamily(
            "presspass_decisions", "Staff decisions on requests", labels=["action"]
        )
        made = dict(
            AuditEntry.objects.filter(action__in=decision_actions())
            .values_list("action")
            .annotate(n=Count("id"))
            .order_by()
        )
        for action in decision_actions():
            decisions.add_metric([action], made.get(action, 0))
        yield decisions

        now = timezone.now()
        tasks = GaugeMetricFamily(
            "presspass_tasks",
            "Background tasks not done, by task and state",
            labels=["task", "state"],
        )
        open_rows = OutboxTask.objects.filter(completed_at__isnull=True).values_list(
            "task_name", "failed_at", "started_at"
        )
        states: dict[tuple[str, str], int] = {}
        for name, failed, started in open_rows:
            state = "failed" if failed else "running" if started else "waiting"
            states[(name, state)] = states.get((name, state), 0) + 1
        for (name, state), n in sorted(states.items()):
            tasks.add_metric([name, state], n)
        yield tasks

        took = GaugeMetricFamily(
            "presspass_task_seconds_last_hour",
            "Longest time from start to done of the last hour's tasks, by task",
            labels=["task"],
        )
        recent = (
            OutboxTask.objects.filter(
                completed_at__gte=now - dt.timedelta(hours=1), started_at__isnull=False
            )
            .annotate(took=ExpressionWrapper(F("completed_at") - F("started_at"), DurationField()))
            .values_list("task_name", "took")
        )
        longest: dict[str, float] = {}
        for name, duration in recent:
            seconds = duration.total_seconds() if duration else 0.0
            longest[name] = max(longest.get(name, 0.0), seconds)
        for name, seconds in sorted(longest.items()):
            took.add_metric([name], seconds)
        yield took

        from config.health import broker_workers_queue

        _broker, workers, depth = broker_workers_queue()
        if depth is not None:
            yield GaugeMetricFamily("presspass_queue_depth", "Tasks waiting on the broker", depth)
        if workers is not None:
            yield GaugeMetricFamily("presspass_workers", "Workers answering a ping", workers)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseCollector())
    return registry


@never_cache
def metrics(request):
    token = settings.PRESSPASS_METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(given.strip(), token):
        return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
