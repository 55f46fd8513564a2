import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accreditation.privacy.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database, then the private files, into a new folder (see docs/deploy.md)."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="a folder that does not exist yet")

    def handle(self, *args, folder, **options):
        try:
            manifest = backup(Path(folder))
        except FileExistsError:
            raise CommandError(f"{folder} exists: name a new folder for each backup.") from None
        except subprocess.CalledProcessError as exc:
            raise CommandError(f"pg_dump failed (exit {exc.returncode}); see above.") from None
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up the {manifest['database']} database and {manifest['files']} files to {folder}."
        )
        self.stdout.write(
            "Keep SECRET_KEY, the badge signing keys and PRESSPASS_DATA_KEYS with the secrets: "
            "they are not in it."
        )
