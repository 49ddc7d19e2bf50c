"""Seed the defaults of the rules issue 17 adds (probation, long leave, investigation, missing
components, the appeal deadline); administrators then edit them."""

from django.db import migrations


def seed(apps, schema_editor):
    from assessment.defaults import UNGRADED_RULES

    PolicyRule = apps.get_model("assessment", "PolicyRule")
    for kind, key, params, note in UNGRADED_RULES:
        PolicyRule.objects.get_or_create(unit=None, kind=kind, key=key, defaults={"params": params, "note": note})


def unseed(apps, schema_editor):
    from assessment.defaults import UNGRADED_RULES

    PolicyRule = apps.get_model("assessment", "PolicyRule")
    PolicyRule.objects.filter(kind__in={kind for kind, *_ in UNGRADED_RULES}).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0011_assessment_appeal_grade_and_more")]

    operations = [migrations.RunPython(seed, unseed)]
