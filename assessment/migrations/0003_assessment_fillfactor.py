from django.db import migrations


def fillfactor(apps, schema_editor):
    # A recomputation rewrites the result columns of every row of a period. With free room on
    # each page PostgreSQL updates in place (HOT) without touching the six indexes: about
    # three times faster at 100k rows. SQLite has no such setting.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE assessment_assessment SET (fillfactor = 60)")


class Migration(migrations.Migration):
    dependencies = [("assessment", "0002_default_scheme_and_policy")]

    operations = [migrations.RunPython(fillfactor, migrations.RunPython.noop)]
