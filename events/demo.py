"""Demo data: the 93rd INTERPOL General Assembly (Marrakech) and the 92nd (Glasgow), as published."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass

from django.db import transaction

from events.models import Checkpoint, Event, Session

MARRAKECH = zoneinfo.ZoneInfo("Africa/Casablanca")
GLASGOW = zoneinfo.ZoneInfo("Europe/London")

GA93_SLUG = "interpol-ga-93"
GA92_SLUG = "interpol-ga-92"


def _at(day: dt.date, hour: int, minute: int, tz) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


@dataclass(frozen=True)
class Seeded:
    event: Event
    shift_days: int


def seed_ga93(*, keep_published_dates: bool = False, today: dt.date | None = None) -> Seeded:
    """Create or update the 93rd session. Unless asked to keep the published dates (which are
    past), move the whole calendar by whole weeks so that accreditation is open today."""
    start = dt.date(2025, 11, 24)
    deadline_day = dt.date(2025, 10, 31)
    opens_day = dt.date(2025, 9, 1)
    shift = 0
    if not keep_published_dates:
        today = today or dt.datetime.now(MARRAKECH).date()
        # Deadline about two weeks ahead, weekdays preserved (the assembly opens on a Monday).
        wanted = (today + dt.timedelta(days=14) - deadline_day).days
        shift = max(0, math.ceil(wanted / 7) * 7)
    d = dt.timedelta(days=shift)

    def day(n: int) -> dt.date:
        return start + d + dt.timedelta(days=n)

    with transaction.atomic():
        event, _ = Event.objects.update_or_create(
            slug=GA93_SLUG,
            defaults=dict(
                name="93rd session of the INTERPOL General Assembly",
                names={
                    "fr": "93e session de l'Assemblée générale d'INTERPOL",
                    "es": "93.ª reunión de la Asamblea General de INTERPOL",
                    "ar": "الدورة الثالثة والتسعون للجمعية العامة للإنتربول",
                },
                organiser="DGSN–DGST, Kingdom of Morocco",
                venue="Jardins de la Menara",
                city="Marrakech",
                country="MA",
                time_zone="Africa/Casablanca",
                starts_on=day(0),
                ends_on=day(3),
                accreditation_opens_at=_at(opens_day + d, 0, 0, MARRAKECH),
                accreditation_deadline=dt.datetime.combine(
                    deadline_day + d, dt.time(23, 59, 59), tzinfo=MARRAKECH
                ),
                contact_email="ccc@dgsn.gov.ma",
                languages=["fr", "ar", "en", "es"],
                retention_days=90,
                security_vetting_required=True,
                badge_collection_info=(
                    "Badge desk at the Jardins de la Menara entrance, from the day before the opening. "
                    "Bring your identity document and your press card or mission letter."
                ),
                badge_collection_infos={
                    "fr": "Comptoir des badges à l'entrée des Jardins de la Menara, dès la veille de "
                    "l'ouverture. Apportez votre pièce d'identité et votre carte de presse ou votre "
                    "lettre de mission.",
                    "ar": "مكتب الشارات عند مدخل حدائق المنارة، ابتداءً من اليوم السابق للافتتاح. "
                    "أحضر وثيقة هويتك وبطاقتك الصحفية أو رسالة التكليف.",
                    "es": "Mostrador de credenciales en la entrada de los Jardines de la Menara, desde "
                    "la víspera de la inauguración. Traiga su documento de identidad y su carné de "
                    "prensa o carta de misión.",
                },
                # The host prints French and Arabic on every badge.
                badge_languages=["fr", "ar"],
                colour="#0B3D91",
            ),
        )
        sessions = [
            dict(
                kind=Session.Kind.OPENING,
                title="Opening ceremony",
                titles={
                    "fr": "Cérémonie d'ouverture",
                    "es": "Ceremonia de apertura",
                    "ar": "حفل الافتتاح",
                },
                starts_at=_at(day(0), 10, 30, MARRAKECH),
                # A realistic end: the ceremony lasts about two hours; the closed plenary's
                # doors open at 13:30 at the same entrance.
                ends_at=_at(day(0), 12, 30, MARRAKECH),
                media_access=Session.MediaAccess.OPEN,
                colour="#1B7F3B",
            ),
            dict(
                kind=Session.Kind.PLENARY,
                title="Plenary sessions",
                titles={
                    "fr": "Séances plénières",
                    "es": "Sesiones plenarias",
                    "ar": "الجلسات العامة",
                },
                starts_at=_at(day(0), 14, 30, MARRAKECH),
                ends_at=_at(day(3), 12, 0, MARRAKECH),
                media_access=Session.MediaAccess.CLOSED,
                colour="#888888",
            ),
            dict(
                kind=Session.Kind.WORKING,
                title="Working sessions",
                titles={
                    "fr": "Séances de travail",
                    "es": "Sesiones de trabajo",
                    "ar": "جلسات العمل",
                },
                starts_at=_at(day(1), 9, 0, MARRAKECH),
                ends_at=_at(day(2), 18, 0, MARRAKECH),
                media_access=Session.MediaAccess.CLOSED,
                colour="#888888",
            ),
            dict(
                kind=Session.Kind.CLOSING,
                title="Closing ceremony",
                titles={
                    "fr": "Cérémonie de clôture",
                    "es": "Ceremonia de clausura",
                    "ar": "حفل الاختتام",
                },
                starts_at=None,
                ends_at=None,
                media_access=Session.MediaAccess.OPEN,
                colour="#B8860B",
            ),
            dict(
                kind=Session.Kind.PRESS_CONFERENCE,
                title="Press conference",
                titles={"fr": "Conférence de presse", "es": "Rueda de prensa", "ar": "ندوة صحفية"},
                starts_at=None,
                ends_at=None,
                media_access=Session.MediaAccess.OPEN,
                colour="#8B1A1A",
            ),
        ]
        made = {}
        for values in sessions:
            kind = values.pop("kind")
            made[kind], _ = Session.objects.update_or_create(
                event=event, kind=kind, defaults=values
            )
        main, _ = Checkpoint.objects.get_or_create(event=event, name="Main hall entrance")
        main.sessions.set(
            [made[Session.Kind.OPENING], made[Session.Kind.CLOSING], made[Session.Kind.PLENARY]]
        )
        press, _ = Checkpoint.objects.get_or_create(event=event, name="Press centre")
        press.sessions.set([made[Session.Kind.PRESS_CONFERENCE]])
        seed_press_conference_announcement(made[Session.Kind.PRESS_CONFERENCE])
    seed_interviews(event)
    return Seeded(event=event, shift_days=shift)


def seed_interviews(event: Event) -> None:
    """Issue 19's interviews: a delegation and an office to ask, with their contacts, and an
    accredited journalist's request waiting for the press office (accreditation.interviews)."""
    from accreditation.interviews.demo import seed_interview_demo

    seed_interview_demo(event)


PRESS_CONFERENCE_ANNOUNCEMENT = {
    "fr": (
        "Conférence de presse",
        "La conférence de presse de l'Assemblée générale aura lieu au Centre de presse. "
        "L'heure vous sera confirmée ici et par courriel, avec l'entrée pour votre agenda.",
    ),
    "ar": (
        "الندوة الصحفية",
        "ستعقد الندوة الصحفية للجمعية العامة في المركز الصحفي. سيتم تأكيد موعدها هنا وعبر "
        "البريد الإلكتروني، مع موعد لإضافته إلى تقويمكم.",
    ),
    "en": (
        "Press conference",
        "The General Assembly's press conference will take place at the Press centre. Its time "
        "will be confirmed here and by e-mail, with an entry for your calendar.",
    ),
    "es": (
        "Rueda de prensa",
        "La rueda de prensa de la Asamblea General tendrá lugar en el Centro de prensa. La hora "
        "se confirmará aquí y por correo electrónico, con una entrada para su agenda.",
    ),
}


def seed_press_conference_announcement(session: Session) -> None:
    """A draft for the press office: the press conference, to everyone granted it (once: one
    already there is left alone). Presspass's proposal: when staff set the conference's time
    and place, it is rewritten with them (accreditation.communications.proposals)."""
    from accreditation.communications.models import Announcement

    if Announcement.objects.filter(session=session).exists():
        return
    Announcement.objects.create(
        event=session.event,
        session=session,
        audience_session=session,
        operational=True,
        proposed=True,
        titles={code: title for code, (title, _text) in PRESS_CONFERENCE_ANNOUNCEMENT.items()},
        bodies={code: text for code, (_title, text) in PRESS_CONFERENCE_ANNOUNCEMENT.items()},
    )


def seed_ga92() -> Event:
    """The previous session, a past event of the same kind, as published."""
    event, _ = Event.objects.update_or_create(
        slug=GA92_SLUG,
        defaults=dict(
            name="92nd session of the INTERPOL General Assembly",
            organiser="Police Scotland",
            venue="Scottish Event Campus",
            city="Glasgow",
            country="GB",
            time_zone="Europe/London",
            starts_on=dt.date(2024, 11, 4),
            ends_on=dt.date(2024, 11, 7),
            accreditation_opens_at=_at(dt.date(2024, 9, 1), 0, 0, GLASGOW),
            accreditation_deadline=_at(dt.date(2024, 10, 18), 23, 59, GLASGOW),
            contact_email="media@example.org",
            languages=["en", "fr", "es", "ar"],
            retention_days=90,
        ),
    )
    Session.objects.update_or_create(
        event=event,
        kind=Session.Kind.OPENING,
        defaults=dict(
            title="Opening ceremony",
            starts_at=_at(dt.date(2024, 11, 4), 10, 0, GLASGOW),
            ends_at=_at(dt.date(2024, 11, 4), 12, 0, GLASGOW),
            media_access=Session.MediaAccess.OPEN,
        ),
    )
    return event


REJECTION_REASONS = [
    (
        "Outlet not confirmed",
        "We could not confirm that you work for the outlet named in your request.",
        "Nous n'avons pas pu confirmer que vous travaillez pour le média indiqué dans votre demande.",
        "No hemos podido confirmar que trabaja para el medio indicado en su solicitud.",
        "لم نتمكن من التأكد من أنكم تعملون لدى وسيلة الإعلام المذكورة في طلبكم.",
    ),
    (
        "Documents not valid",
        "The documents you sent do not meet the requirements (identity document valid until the end "
        "of the event, press card or mission letter).",
        "Les documents envoyés ne remplissent pas les conditions (pièce d'identité valable jusqu'à la fin "
        "de l'événement, carte de presse ou lettre de mission).",
        "Los documentos enviados no cumplen los requisitos (documento de identidad válido hasta el final "
        "del evento, carné de prensa o carta de asignación).",
        "الوثائق المرسلة لا تستوفي الشروط (وثيقة هوية سارية حتى نهاية الحدث، بطاقة صحفية أو رسالة تكليف).",
    ),
    (
        "Capacity reached",
        "The number of places for the media is limited and has been reached.",
        "Le nombre de places réservées aux médias est limité et a été atteint.",
        "El número de plazas para los medios es limitado y se ha alcanzado.",
        "عدد الأماكن المخصصة لوسائل الإعلام محدود وقد تم بلوغه.",
    ),
]


def seed_rejection_reasons() -> None:
    from accreditation.models import RejectionReason

    for title, en, fr, es, ar in REJECTION_REASONS:
        RejectionReason.objects.update_or_create(
            title=title, defaults={"text_en": en, "text_fr": fr, "text_es": es, "text_ar": ar}
        )


# The demo's role logins besides the superuser ``staff``, each with the same password: who
# they are (a role of accreditation.roles) and where they work.
ROLE_LOGINS = [
    ("reviewer", "Reviewer", "{site}/admin/"),
    ("supervisor", "Supervisor", "{site}/admin/: vetting, exports, statistics"),
    ("desk", "Badge desk", "{site}/desk/"),
    ("gate", "Gate agent", "{site}/gate/"),
    ("press", "Press office", "{site}/admin/communications/announcement/: announcements"),
]


def seed_role_logins(*, password: str, site_url: str = "") -> str:
    """Create or reset one staff login per role (ROLE_LOGINS), all with ``password``; the line
    the demo prints about them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    for username, role, _where in ROLE_LOGINS:
        member, _ = get_user_model().objects.get_or_create(username=username)
        member.is_staff = True
        member.set_password(password)
        member.save()
        member.groups.set([Group.objects.get(name=role)])
    where = ", ".join(
        f"{username} ({where.format(site=site_url)})" for username, _r, where in ROLE_LOGINS
    )
    return f"Role logins, same password: {where}"
