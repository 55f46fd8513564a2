import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from accreditation.privacy.orphans import SAFETY_AGE, orphans_sweep


class Command(BaseCommand):
    help = (
        "Delete the private files no row names (orphans: e.g. after restoring a backup whose "
        "files were copied after its database dump), older than a safety age. Run it after a "
        "restore; beat runs it daily. --dry-run lists them and deletes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the orphans; delete nothing."
        )
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=SAFETY_AGE.total_seconds() / 3600,
            help="Keep orphans younger than this (default: %(default)s hours). Never less "
            "than 1: an upload being stored, or a row not committed yet, is not an orphan.",
        )

    def handle(self, *args, dry_run=False, older_than_hours=24.0, **options):
        if older_than_hours < 1:
            raise CommandError("--older-than-hours must be at least 1.")
        counts = orphans_sweep(older_than=dt.timedelta(hours=older_than_hours), dry_run=dry_run)
        if dry_run:
            for name in counts.orphan_names:
                self.stdout.write(name)
            self.stdout.write(
                f"{counts.orphans} orphan files would be deleted; {counts.referred} of "
                f"{counts.stored} files are named by a row, {counts.young} orphans are too "
                "young to delete."
            )
        else:
            self.stdout.write(
                f"Deleted {counts.orphans} orphan files; {counts.referred} of {counts.stored} "
                f"files are named by a row, {counts.young} orphans are too young to delete."
            )
        if counts.failed:
            raise CommandError(
                f"{counts.failed} files could not be checked or deleted: see the log."
            )
