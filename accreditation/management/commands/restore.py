import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accreditation.privacy.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup into an empty database and an empty private folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="a folder made by manage.py backup")

    def handle(self, *args, folder, **options):
        try:
            result = restore(Path(folder))
        except FileNotFoundError as exc:
            raise CommandError(
                f"{folder} is not a backup made by manage.py backup ({exc.filename} is missing)."
            ) from None
        except subprocess.CalledProcessError as exc:
            raise CommandError(f"pg_restore failed (exit {exc.returncode}); see above.") from None
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored {result['files']} files and the database of {result['made_at']}; "
            f"{result['outbox_made_pending']} background tasks will be sent again."
        )
