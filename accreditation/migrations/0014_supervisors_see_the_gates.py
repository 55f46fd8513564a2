from django.db import migrations

from accreditation.roles import migrate_roles


class Migration(migrations.Migration):
    """Supervisors configure checkpoints and read the scan log (accreditation/roles.py)."""

    dependencies = [
        ("accreditation", "0013_scan_uploaded_by"),
        ("events", "0003_checkpoints"),
    ]
    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
