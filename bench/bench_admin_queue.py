#!/usr/bin/env python
"""Benchmark: the reviewers' queue with 30,000 requests and 90,000 documents in PostgreSQL.

Target (issue 4): the request list with a filter and a search answers in under 200 ms of
server time, with a constant number of queries.

    python bench/bench_admin_queue.py [--requests 30000] [--database postgres://postgres@127.0.0.1:5432/presspass_bench]

Creates (or reuses) the benchmark database, fills it once, then times the changelist through
Django's test client (server time: no network), 20 times per URL, and prints the median and
p95 and the number of SQL queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from harness import ROOT, create_database, load_average, percentile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30000)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/presspass_bench")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    create_database(args.database)
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("PRESSPASS_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    fill(args.requests)

    from django.contrib.auth.models import User

    from tests.factories import make_user

    user = User.objects.filter(username="bench-reviewer").first() or make_user(
        "bench-reviewer", "Reviewer"
    )
    client = Client()
    client.force_login(user)
    base = "/admin/accreditation/accreditationrequest/"
    urls = {
        "list": base,
        "filter+search (name)": base + "?status__exact=in_review&q=Idrissi",
        "filter+search (reference)": base + "?outlet_type__exact=tv&q=K7M3",
        "filter country + search id": base + "?country=FR&q=AB00012",
        # Numbers are encrypted (#21): found whole, by their keyed hash, case and dashes aside.
        "search whole document number": base + "?q=ab-0001234",
    }
    print(f"load average (1, 5, 15 min) before: {load_average()}")
    print(f"{'URL':32} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, url in urls.items():
        client.get(url)  # warm
        times, counts = [], set()
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            counts.add(len(queries))
        p95 = percentile(times, 95)
        print(
            f"{label:32} {statistics.median(times):10.1f} {p95:8.1f} {','.join(map(str, sorted(counts))):>8}"
        )
    print(f"load average (1, 5, 15 min) after: {load_average()}")


def fill(total: int) -> None:
    import datetime as dt
    import random

    from django.utils import timezone

    from accreditation.models import AccreditationRequest, Document
    from events.models import Event
    from tests.factories import make_event

    event = Event.objects.filter(slug="bench").first() or make_event(slug="bench")
    have = AccreditationRequest.objects.filter(event=event).count()
    if have >= total:
        return
    rng = random.Random(42)
    alphabet = "3467ACDEFGHJKMNPQRTUVWXY"
    countries = [
        "MA",
        "FR",
        "ES",
        "GB",
        "US",
        "DZ",
        "TN",
        "SN",
        "EG",
        "DE",
        "IT",
        "BR",
        "JP",
        "CN",
        "NG",
    ]
    statuses = ["in_review"] * 5 + [
        "submitted",
        "info_requested",
        "approved",
        "rejected",
        "badge_issued",
    ]
    now = timezone.now()
    batch = []
    for i in range(have, total):
        code = "".join(rng.choice(alphabet) for _ in range(8))
        batch.append(
            AccreditationRequest(
                event=event,
                reference=f"{code[:4]}-{code[4:]}",
                status=rng.choice(statuses),
                language="fr",
                given_names=rng.choice(["Amina", "John", "María", "Wei", "Fatou"]),
                family_names=rng.choice(["El Idrissi", "Smith", "García", "Zhang", "Diop"])
                + f" {i}",
                date_of_birth=dt.date(1980, 1, 1),
                nationality=rng.choice(countries),
                id_document_type="passport",
                id_document_number=f"AB{i:07d}",
                id_document_country="MA",
                id_document_expiry=dt.date(2030, 1, 1),
                email=f"j{i}@example.com",
                phone="+212612345678",
                outlet_name=rng.choice(["Le Matin", "Reuters", "El País", "Al Jazeera", "BBC"]),
                outlet_type=rng.choice(["print", "tv", "radio", "online", "agency"]),
                outlet_country=rng.choice(countries),
                role="reporter",
                employment="staff",
                consent_version=1,
                consent_given_at=now,
                status_nonce="0" * 32,
                submitted_at=now - dt.timedelta(minutes=i),
                check_outcome=rng.choice(["pass", "warning", "fail"]),
            )
        )
        if len(batch) == 5000:
            _flush(batch, Document)
            batch = []
    if batch:
        _flush(batch, Document)


def _flush(batch, Document) -> None:
    from accreditation.models import AccreditationRequest

    AccreditationRequest.objects.bulk_create(batch, ignore_conflicts=True)
    created = AccreditationRequest.objects.filter(reference__in=[r.reference for r in batch])
    Document.objects.bulk_create(
        [
            Document(
                request=r,
                kind=kind,
                file=f"bench/{r.pk}-{kind}.pdf",
                original_name=f"{kind}.pdf",
                content_type="application/pdf",
                size=1000,
                sha256="0" * 64,
            )
            for r in created
            for kind in ("identity", "press_card", "photo")
        ]
    )


if __name__ == "__main__":
    main()
