# 民主测评 vote counts. On PostgreSQL the five nullable columns are added without rewriting the
# table; only the all-or-none check reads it once.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0007_alter_policyrule_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="votes_abstain",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="民主测评弃权票"),
        ),
        migrations.AddField(
            model_name="assessment",
            name="votes_basic",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="民主测评基本称职票"),
        ),
        migrations.AddField(
            model_name="assessment",
            name="votes_competent",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="民主测评称职票"),
        ),
        migrations.AddField(
            model_name="assessment",
            name="votes_excellent",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="民主测评优秀票"),
        ),
        migrations.AddField(
            model_name="assessment",
            name="votes_incompetent",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="民主测评不称职票"),
        ),
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("votes_abstain__isnull", True),
                        ("votes_basic__isnull", True),
                        ("votes_competent__isnull", True),
                        ("votes_excellent__isnull", True),
                        ("votes_incompetent__isnull", True),
                    ),
                    models.Q(
                        ("votes_abstain__isnull", False),
                        ("votes_basic__isnull", False),
                        ("votes_competent__isnull", False),
                        ("votes_excellent__isnull", False),
                        ("votes_incompetent__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="assessment_votes_all_or_none",
            ),
        ),
    ]
