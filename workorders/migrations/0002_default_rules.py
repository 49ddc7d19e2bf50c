"""Seed the 民情工单 policy defaults (data administrators then edit)."""

from django.db import migrations


def seed(apps, schema_editor):
    from workorders.policy import DEFAULT_RULES

    PolicyRule = apps.get_model("assessment", "PolicyRule")
    for kind, key, params, note in DEFAULT_RULES:
        PolicyRule.objects.get_or_create(unit=None, kind=kind, key=key, defaults={"params": params, "note": note})


def unseed(apps, schema_editor):
    from workorders.policy import DEFAULT_RULES

    PolicyRule = apps.get_model("assessment", "PolicyRule")
    PolicyRule.objects.filter(unit=None, kind__in={kind for kind, *_ in DEFAULT_RULES}).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0001_initial"),
        ("assessment", "0013_indicator_source_alter_policyrule_kind"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
