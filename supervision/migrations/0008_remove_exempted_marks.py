from django.db import migrations


class Migration(migrations.Migration):
    """The old 容错免责 marks go: 容错纠错 decisions (``Exemption``) are the one way to exempt."""

    dependencies = [
        ("supervision", "0007_exemptions_from_flags"),
    ]

    operations = [
        migrations.RemoveField(model_name="interview", name="exempted"),
        migrations.RemoveField(model_name="interview", name="exemption_note"),
        migrations.RemoveField(model_name="sanction", name="exempted"),
        migrations.RemoveField(model_name="sanction", name="exemption_note"),
    ]
