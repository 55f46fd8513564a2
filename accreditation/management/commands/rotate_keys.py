from django.core.management.base import BaseCommand, CommandError

from accreditation.privacy import crypto
from accreditation.privacy.at_rest import rotate_keys


class Command(BaseCommand):
    help = (
        "Re-wrap every private file's data key, and seal every document number again, under the "
        "first key of PRESSPASS_DATA_KEYS (idempotent and resumable). Put a new key first, keep "
        "the old ones after it, run this, then remove the old ones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="print a new random key to put in PRESSPASS_DATA_KEYS, and do nothing else",
        )

    def handle(self, *args, new_key=False, **options):
        if new_key:
            self.stdout.write(crypto.new_key())
            return
        result = rotate_keys()
        files, numbers = result["files"], result["numbers"]
        self.stdout.write(
            f"Key {crypto.keyring().current}: {files.changed} files re-wrapped "
            f"({files.unchanged} already under it), {numbers.changed} document numbers sealed "
            f"again ({numbers.unchanged} already under it)."
        )
        failed = len(files.failed) + len(numbers.failed)
        if failed:
            raise CommandError(
                f"{failed} could not be opened with the listed keys: see the log, and keep "
                "the old keys listed until they are resolved."
            )
