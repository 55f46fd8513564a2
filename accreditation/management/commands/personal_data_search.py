from django.core.management.base import BaseCommand, CommandError

from accreditation.privacy.search import fold, personal_data_search
from events.models import Event

FOUND = 1  # as grep's 0 and 1, reversed: 1 means the person is still somewhere
USAGE = 2  # a mistake in the command line: nothing was searched


class Command(BaseCommand):
    help = (
        "Look for a name, an e-mail address or a document number in every table of the database "
        "and every private file (decrypted; a PDF's text too), and print where it is found "
        "(table.column and row, or the file's storage name), never the values. Names match "
        "without case or accents, in any word order. Exit status 1 when found, 0 when not, "
        "2 for a mistake in the command (docs/privacy.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("text", help="a name, an e-mail address or a document number")
        parser.add_argument(
            "--event",
            metavar="SLUG",
            help="only that event's rows (and the rows tied to no event); files are all searched",
        )

    def handle(self, *args, text, event=None, **options):
        if not fold(text).strip():  # no letter nor digit: it would match nothing, say so
            raise CommandError(
                "Give a name, an e-mail address or a document number to look for.",
                returncode=USAGE,
            )
        chosen = None
        if event:
            chosen = Event.objects.filter(slug=event).first()
            if chosen is None:
                raise CommandError(f"No event has the slug {event!r}.", returncode=USAGE)
        findings = personal_data_search([text], event=chosen)
        for name in findings.unreadable:
            self.stderr.write(self.style.WARNING(f"Not searched (does not open): storage: {name}"))
        places = findings.places[text]
        for place in places:
            self.stdout.write(str(place))
        if places:
            raise CommandError(f"Found in {len(places)} place(s).", returncode=FOUND)
        scope = (
            f"the rows of {chosen.slug} and those tied to no event" if chosen else "the database"
        )
        self.stdout.write(self.style.SUCCESS(f"Not found in {scope} nor in the private files."))
