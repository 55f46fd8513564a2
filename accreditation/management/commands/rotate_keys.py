from django.core.management.base import BaseCommand, CommandError

from accreditation.privacy import crypto
from accreditation.privacy.at_rest import left_under_other_keys, rotate_keys


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
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; say what is not under the current key yet (fails if anything)",
        )

    def handle(self, *args, new_key=False, check=False, **options):
        if new_key:
            self.stdout.write(crypto.new_key())
            return
        if check:
            left = left_under_other_keys()
            self.stdout.write(
                f"Not under key {crypto.keyring().current}: {left['files']} files under an "
                f"older key, {left['plain_files']} files stored plain, {left['numbers']} "
                "document numbers."
            )
            if any(left.values()):
                raise CommandError(
                    "Keep the old keys listed: run rotate_keys (and encrypt_files for plain "
                    "files) once every process runs with the new key first, then check again."
                )
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
