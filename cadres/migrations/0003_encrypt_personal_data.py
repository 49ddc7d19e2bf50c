"""ID numbers and phone numbers encrypted at rest (core/crypto.py), step 1 of 3: the column
for the ID number's keyed hash (empty for now), and text columns wide enough for the tokens.
The unique index moves from the number to its hash in step 3."""

from django.db import migrations, models

import core.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("cadres", "0002_unit_name_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="cadre",
            name="id_number_hash",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="身份证号摘要"),
        ),
        migrations.AlterField(
            model_name="cadre",
            name="id_number",
            field=core.crypto.EncryptedCharField(max_length=18, verbose_name="身份证号"),
        ),
        migrations.AlterField(
            model_name="cadre",
            name="phone",
            field=core.crypto.EncryptedCharField(blank=True, max_length=20, verbose_name="联系电话"),
        ),
    ]
