"""The document-number check kept the typed number as its measure, in clear beside the sealed
one: existing results keep its length instead."""

from django.db import migrations


def keep_lengths(apps, schema_editor):
    CheckResult = apps.get_model("accreditation", "CheckResult")
    for result in CheckResult.objects.filter(code="identity.document_number").exclude(value=""):
        CheckResult.objects.filter(pk=result.pk).update(value=str(len(result.value)))


class Migration(migrations.Migration):
    dependencies = [("accreditation", "0025_document_numbers_encrypted")]

    operations = [migrations.RunPython(keep_lengths, migrations.RunPython.noop)]
