from django.db import migrations, models
from django.db.models import F


def from_updated_at(apps, schema_editor):
    # Rows graded before the column existed: their last write is the best time there is.
    Assessment = apps.get_model("assessment", "Assessment")
    Assessment.objects.exclude(final_grade="", total_score__isnull=True).update(
        grade_changed_at=F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [("assessment", "0014_registration_text")]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="grade_changed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="等次变更时间"),
        ),
        migrations.RunPython(from_updated_at, migrations.RunPython.noop, elidable=True),
    ]
