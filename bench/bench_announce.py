#!/usr/bin/env python
"""Benchmark: an announcement's fan-out, as the time per 1,000 e-mails rendered and queued.

Target (issue 19): fan-out of 5,000 recipients runs in batches without holding a transaction
or a worker for minutes; the figure asked for is the time per 1,000 e-mails.

    .venv/bin/python bench/bench_announce.py [--recipients 5000] [--rounds 3]
        [--database postgres://postgres@127.0.0.1:5432/presspass_announcebench] [--sqlite]

What it does, in this process (no network, no broker):

1. creates (or recreates) the benchmark's own database (PostgreSQL by default, ``--sqlite``
   for a file in a temporary folder), migrates it, and makes an event with a session whose
   time is announced (so every e-mail carries its .ics) and ``--recipients`` accredited
   journalists in the four languages, granted that session;
2. writes an announcement about the session, texts in French and English (Arabic and Spanish
   readers get the marked fallback), with a 60 KB programme PDF attached;
3. each round sends it for real: ``announcement_send`` (the press office's click) records the
   plan task in the outbox; Celery runs eagerly (no broker), so the plan creates the
   deliveries 200 at a time, each batch with its task in one transaction, and each batch task
   renders its e-mails (language, time zone, calendar entry, files, links) and hands them to
   Django's locmem mail backend over one connection, marking each delivery sent. The mail
   backend stands for the SMTP queue: what a real server adds is its own time per message;
4. prints, per round and as the median, the wall time and this process's CPU time per 1,000
   e-mails, the batches, and the SQL statements per e-mail; then the time to render 1,000
   e-mails alone (no database writes, no sending), and the longest batch (how long one
   worker is held).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from harness import create_database, load_average, percentile


def setup(args) -> None:
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("REDIS_URL", None)  # no broker: the outbox runs the tasks here, eagerly
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    folder = tempfile.mkdtemp(prefix="presspass-announcebench-")
    os.environ["PRESSPASS_VAR_DIR"] = folder
    if args.sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    else:
        create_database(args.database, fresh=True)
        os.environ["DATABASE_URL"] = args.database
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": f"{folder}/private"}},
    }
    settings.LOGGING_CONFIG = None
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)


def people(recipients: int):
    import datetime as dt

    from events.models import Session
    from tests.communications.helpers import journalists, press_office
    from tests.factories import CASABLANCA, make_event

    event = make_event(slug="bench")
    conference = Session.objects.create(
        event=event,
        kind="press_conference",
        title="Press conference",
        titles={"fr": "Conférence de presse", "ar": "ندوة صحفية", "es": "Rueda de prensa"},
        starts_at=dt.datetime.combine(event.ends_on, dt.time(15, 0), tzinfo=CASABLANCA),
        location="Press centre",
        media_access="open",
    )
    languages = ["fr", "ar", "en", "es"]
    for n, language in enumerate(languages):
        count = recipients // 4 + (1 if n < recipients % 4 else 0)
        journalists(event, count, language=language, sessions=[conference])
    return event, conference, press_office("bench-press")


def announcement(event, conference, press):
    from accreditation.communications import services
    from accreditation.communications.models import Announcement
    from tests.factories import upload

    draft = Announcement(
        event=event,
        session=conference,
        audience_session=conference,
        titles={"fr": "Conférence de presse", "en": "Press conference"},
        bodies={
            "fr": "La conférence de presse aura lieu au Centre de presse. " * 6,
            "en": "The press conference will take place at the Press centre. " * 6,
        },
    )
    return services.announcement_save(
        announcement=draft,
        actor=press,
        files=[upload("programme.pdf", programme_pdf(), "application/pdf")],
    )


def programme_pdf() -> bytes:
    """A two-page programme with a photo on it: about 100 KB, as such PDFs are."""
    import io

    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    picture = io.BytesIO()
    Image.effect_noise((500, 350), 60).convert("RGB").save(picture, "JPEG", quality=80)
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for page in range(2):
        for line in range(40):
            pdf.drawString(
                72, 770 - line * 12, f"Day {page + 1}, {9 + line // 4}:00 — session {line}"
            )
        pdf.drawImage(ImageReader(io.BytesIO(picture.getvalue())), 72, 60, 300, 210)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def reset(draft) -> None:
    from django.core import mail

    from accreditation.communications.models import Announcement, Delivery
    from accreditation.models import AuditEntry, OutboxTask

    Delivery.objects.filter(announcement=draft).delete()
    OutboxTask.objects.all().delete()
    AuditEntry.objects.all().delete()
    Announcement.objects.filter(pk=draft.pk).update(
        state="draft", planned_at=None, sent_at=None, recipients_count=0
    )
    draft.refresh_from_db()
    mail.outbox = []


def one_round(draft, press) -> dict:
    from django.core import mail
    from django.db import connection

    from accreditation.communications import services
    from accreditation.communications.models import Delivery
    from accreditation.communications.tasks import send_announcement_batch

    reset(draft)
    batch_times: list[float] = []
    run = send_announcement_batch.run

    def timed(*a, **k):
        started = time.perf_counter()
        try:
            return run(*a, **k)
        finally:
            batch_times.append(time.perf_counter() - started)

    queries = [0]

    def counted(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    send_announcement_batch.run = timed
    try:
        with connection.execute_wrapper(counted):
            cpu, wall = time.process_time(), time.perf_counter()
            services.announcement_send(announcement=draft, actor=press)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        send_announcement_batch.run = run
    sent = len(mail.outbox)
    assert sent == Delivery.objects.filter(announcement=draft, state="sent").count()
    draft.refresh_from_db()
    assert draft.state == "sent", draft.state
    return {
        "sent": sent,
        "wall": wall,
        "cpu": cpu,
        "queries": queries[0],
        "batches": len(batch_times),
        "longest_batch": max(batch_times, default=0.0),
    }


def render_only(draft, n: int = 1000) -> float:
    from accreditation.communications.mailing import AnnouncementMail
    from accreditation.communications.models import Delivery

    deliveries = list(Delivery.objects.filter(announcement=draft).select_related("request")[:n])
    mail = AnnouncementMail(draft)
    started = time.perf_counter()
    for delivery in deliveries:
        mail.message(delivery).message()  # the MIME message, as a backend serialises it
    return (time.perf_counter() - started) * 1000 / len(deliveries) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/presspass_announcebench"
    )
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    args = parser.parse_args()
    setup(args)
    from django.db import connection

    print(f"database: {connection.vendor}; load average (1, 5, 15 min): {load_average()}")
    event, conference, press = people(args.recipients)
    draft = announcement(event, conference, press)
    one_round(draft, press)  # warm-up (templates compiled, time zone data read)
    rounds = []
    for number in range(1, args.rounds + 1):
        result = one_round(draft, press)
        rounds.append(result)
        per_k = 1000 / result["sent"]
        print(
            f"round {number}: {result['sent']} e-mails in {result['batches']} batches, "
            f"{result['wall']:.2f} s wall ({result['wall'] * per_k * 1000:.0f} ms per 1,000), "
            f"{result['cpu'] * per_k * 1000:.0f} ms CPU per 1,000, "
            f"{result['queries'] / result['sent']:.2f} SQL per e-mail, "
            f"longest batch {result['longest_batch'] * 1000:.0f} ms"
        )
    wall = statistics.median(r["wall"] * 1000 / r["sent"] * 1000 for r in rounds)
    cpu = statistics.median(r["cpu"] * 1000 / r["sent"] * 1000 for r in rounds)
    longest = percentile([r["longest_batch"] for r in rounds], 50) * 1000
    print(
        f"median: {wall:.0f} ms per 1,000 e-mails rendered and queued "
        f"({cpu:.0f} ms CPU); longest batch of 200 (median round): {longest:.0f} ms"
    )
    print(f"rendering alone: {render_only(draft):.0f} ms per 1,000 e-mails")
    print(f"load average (1, 5, 15 min) after: {load_average()}")


if __name__ == "__main__":
    main()
