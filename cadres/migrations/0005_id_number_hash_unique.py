"""Step 3 of 3: every row has its keyed hash; it becomes required and unique (the uniqueness
the clear ID number had)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cadres", "0004_encrypt_existing_rows"),
    ]

    operations = [
        migrations.AlterField(
            model_name="cadre",
            name="id_number_hash",
            field=models.CharField(
                editable=False,
                error_messages={"unique": "该身份证号已登记在册，不能重复登记。"},
                help_text="身份证号的 HMAC-SHA256（密钥 DJANGO_ID_HASH_KEY），用于查找和唯一性。",
                max_length=64,
                unique=True,
                verbose_name="身份证号摘要",
            ),
        ),
    ]
