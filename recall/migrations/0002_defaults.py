"""Seed the 惰政 catalogue and the recall policy defaults (data administrators then edit)."""

from django.db import migrations


def seed(apps, schema_editor):
    from recall.catalogue import SITUATIONS
    from recall.policy import DEFAULT_RULES

    Situation = apps.get_model("recall", "Situation")
    PolicyRule = apps.get_model("assessment", "PolicyRule")
    Situation.objects.bulk_create(
        [
            Situation(group=group, code=code, name=name, points=points, cause=cause, order=order)
            for order, (group, code, name, points, cause) in enumerate(SITUATIONS, start=1)
        ],
        ignore_conflicts=True,
    )
    for kind, key, params, note in DEFAULT_RULES:
        PolicyRule.objects.get_or_create(
            unit=None, kind=kind, key=key, defaults={"params": params, "note": note}
        )


def unseed(apps, schema_editor):
    from recall.policy import DEFAULT_RULES

    PolicyRule = apps.get_model("assessment", "PolicyRule")
    PolicyRule.objects.filter(kind__in={kind for kind, *_ in DEFAULT_RULES}).delete()
    apps.get_model("recall", "Situation").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recall", "0001_initial"),
        ("assessment", "0007_alter_policyrule_kind"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
