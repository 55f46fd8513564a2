from django.core.management.base import BaseCommand, CommandError

from accreditation.privacy.at_rest import encrypt_files


class Command(BaseCommand):
    help = (
        "Encrypt the private files stored before encryption at rest (idempotent: files already "
        "encrypted are left as they are; run it again after an interruption)."
    )

    def handle(self, *args, **options):
        counts = encrypt_files()
        self.stdout.write(
            f"Encrypted {counts.changed} files; {counts.unchanged} were encrypted already."
        )
        if counts.failed:
            raise CommandError(f"{len(counts.failed)} files could not be encrypted: see the log.")
