import django.db.models.deletion
from django.db import migrations, models

# Only the index goes. Django's own AlterField would drop and re-add the foreign key as well,
# re-checking every assessment while holding locks; the constraint itself does not change.
INDEX = "assessment_assessment_period_id_8b6ab281"


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0005_import_plan"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="assessment",
                    name="period",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assessments",
                        to="assessment.period",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    f'CREATE INDEX "{INDEX}" ON "assessment_assessment" ("period_id")',
                ),
            ],
        ),
    ]
