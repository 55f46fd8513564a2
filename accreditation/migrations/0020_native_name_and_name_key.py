from django.db import migrations, models


def fill_name_keys(apps, schema_editor):
    from accreditation.models.names import person_key

    Request = apps.get_model("accreditation", "AccreditationRequest")
    for req in Request.objects.only("given_names", "family_names", "name_native").iterator():
        req.name_key = person_key(req.given_names, req.family_names, req.name_native)
        req.save(update_fields=["name_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0019_address_check"),
    ]

    operations = [
        migrations.RenameField(
            model_name="accreditationrequest", old_name="name_arabic", new_name="name_native"
        ),
        migrations.AlterField(
            model_name="accreditationrequest",
            name="name_native",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="name in your own script"
            ),
        ),
        migrations.AddField(
            model_name="accreditationrequest",
            name="name_key",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=700),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
    ]
