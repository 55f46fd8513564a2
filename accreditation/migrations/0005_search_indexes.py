"""Trigram indexes so the reviewers' search (icontains on names, outlet, e-mail, document number)
stays fast on tens of thousands of requests. PostgreSQL only; skipped elsewhere, and skipped with a
notice where the pg_trgm extension cannot be created (then the search still works, more slowly)."""

from django.db import migrations

FIELDS = ["reference", "family_names", "given_names", "email", "outlet_name", "id_document_number"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute("SAVEPOINT trgm")
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("RELEASE SAVEPOINT trgm")
        except Exception as exc:  # no privilege: leave the search unindexed
            cursor.execute("ROLLBACK TO SAVEPOINT trgm")
            print(f"\n  pg_trgm unavailable ({exc}); search indexes not created")
            return
        for field in FIELDS:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "accr_req_{field}_trgm" ON "accreditation_accreditationrequest" '
                f'USING gin ((UPPER("{field}"::text)) gin_trgm_ops)'
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for field in FIELDS:
            cursor.execute(f'DROP INDEX IF EXISTS "accr_req_{field}_trgm"')


class Migration(migrations.Migration):
    dependencies = [("accreditation", "0004_checks")]
    operations = [migrations.RunPython(create, drop)]
