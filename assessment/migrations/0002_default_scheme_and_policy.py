from django.db import migrations


def seed(apps, schema_editor):
    from assessment import defaults

    Scheme = apps.get_model("assessment", "Scheme")
    Indicator = apps.get_model("assessment", "Indicator")
    PolicyRule = apps.get_model("assessment", "PolicyRule")
    for spec, quarterly in ((defaults.ANNUAL_SCHEME, False), (defaults.QUARTER_SCHEME, True)):
        if Scheme.objects.filter(period__isnull=True, quarterly=quarterly).exists():
            continue
        scheme = Scheme.objects.create(name=spec["name"], description=spec["description"], quarterly=quarterly)
        for order, (code, name, dimension, weight) in enumerate(spec["indicators"]):
            Indicator.objects.create(
                scheme=scheme, code=code, name=name, dimension=dimension, weight=weight, order=order
            )
    for kind, key, params, note in defaults.POLICY_RULES:
        PolicyRule.objects.get_or_create(unit=None, kind=kind, key=key, defaults={"params": params, "note": note})


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
