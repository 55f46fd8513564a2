from django.db import migrations

from accreditation.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [("accreditation", "0006_badges")]
    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
