import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import formats, timezone, translation

from events.demo import seed_ga92, seed_ga93, seed_rejection_reasons


class Command(BaseCommand):
    help = "Seed the demo events (93rd INTERPOL General Assembly) and a staff login, and print the URLs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--published-dates",
            action="store_true",
            help="Keep the dates as published (2025): the accreditation form then shows it is closed.",
        )
        parser.add_argument(
            "--no-staff", action="store_true", help="Do not create or reset the demo staff login."
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo data and its staff login are for development only.")
        seeded = seed_ga93(keep_published_dates=options["published_dates"])
        seed_ga92()
        seed_rejection_reasons()
        event = seeded.event
        with translation.override("en"), timezone.override(event.tz):
            span = f"{formats.date_format(event.starts_on, 'l j F Y')} – {formats.date_format(event.ends_on, 'l j F Y')}"
            deadline = formats.date_format(
                timezone.localtime(event.accreditation_deadline), "j F Y, H:i"
            )
        if seeded.shift_days:
            self.stdout.write(
                self.style.WARNING(
                    f"The published dates (24–27 November 2025) are past: the demo calendar was moved "
                    f"{seeded.shift_days} days ({seeded.shift_days // 7} weeks) later so that accreditation is open today."
                )
            )
        self.stdout.write(
            f"Event: {event.name}, {span}; accreditation deadline {deadline} ({event.time_zone})."
        )
        state = event.accreditation_state()
        self.stdout.write(f"Accreditation is {state.replace('_', ' ')}.")

        base = settings.SITE_URL
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Public form:  {base}{reverse('accreditation:apply', args=[event.slug])}"
            )
        )
        self.stdout.write(self.style.SUCCESS(f"Admin:        {base}{reverse('admin:index')}"))
        self._outlet(event)
        if not options["no_staff"]:
            username = "staff"
            password = secrets.token_urlsafe(12)
            user, _ = get_user_model().objects.get_or_create(
                username=username, defaults={"email": "staff@localhost"}
            )
            user.is_staff = True
            user.is_superuser = True
            user.set_password(password)
            user.save()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Staff login:  {username} / {password}   (new password at every run)"
                )
            )
            from events.demo import seed_role_logins

            self.stdout.write(seed_role_logins(password=password, site_url=base))
        self._privacy(event, staff=not options["no_staff"])

    def _outlet(self, event) -> None:
        """The outlets' walk (docs/outlets.md): the demo outlet's private page, the tribune."""
        from accreditation.outlets.demo import seed_demo_outlet

        demo = seed_demo_outlet(event)
        register = reverse("outlets:register", args=[event.slug])
        self.stdout.write(self.style.SUCCESS(f"Outlet form:  {settings.SITE_URL}{register}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Outlet page:  {demo.focal_url}   ({demo.outlet.name}, approved; its focal "
                "point adds the crew here; docs/outlets.md)"
            )
        )
        if demo.opening is not None:
            from accreditation.review.capacity import places_taken

            self.stdout.write(
                f"Opening ceremony: {demo.opening.media_capacity} media places in the press "
                f"tribune, {places_taken(demo.opening)} taken; those approved beyond them wait "
                "in line."
            )

    def _privacy(self, event, *, staff: bool) -> None:
        """The data-protection walk (docs/privacy.md): the demo journalist's own pages, the
        supervisor carrying out her erasure, the search that then finds nothing of her."""
        from accreditation.privacy.demo import DEMO_JOURNALIST, DEMO_SEARCH, seed_demo_journalist

        self.stdout.write("")
        if event.accreditation_state() != "open":
            self.stdout.write(
                "Data protection walk: skipped, accreditation is closed (run without "
                "--published-dates for it; docs/privacy.md)."
            )
            return
        demo = seed_demo_journalist(event)
        req = demo.request
        admin = reverse("admin:privacy_erasurerequest_changelist")
        who = "supervisor (the password above)" if staff else "a supervisor's login"
        self.stdout.write(self.style.SUCCESS("Data protection walk (docs/privacy.md):"))
        self.stdout.write(
            self.style.SUCCESS(
                f"  1. {req.given_names} {req.family_names}'s status link: {demo.status_url}"
            )
        )
        self.stdout.write(
            "     There: “Download everything we hold about you” → “Download my data (ZIP)” "
            "(data.json and her files); then “Ask us to erase your data”, tick the box, "
            f"“Ask for erasure” ({demo.erasure_url})."
        )
        self.stdout.write(
            f"  2. Sign in as {who} at {settings.SITE_URL}{admin}, open her erasure request, "
            "choose “Carry out the erasure”, tick the box, “Record the decision”. Her status "
            "link then answers that it is no longer valid."
        )
        self.stdout.write(
            f'  3. .venv/bin/python manage.py personal_data_search "{DEMO_SEARCH}"   (before: '
            "where she is, exit status 1; after: nothing, exit status 0; her address "
            f"{req.email} and passport number {DEMO_JOURNALIST['id_document_number']} too)"
        )
