from django.core.management.base import BaseCommand

from accreditation.notify import outbox


class Command(BaseCommand):
    help = "Dispatch the tasks recorded while the broker was unreachable (also run by Celery beat)."

    def handle(self, *args, **options):
        sent = outbox.dispatch_pending()
        self.stdout.write(f"{sent} task(s) dispatched.")
