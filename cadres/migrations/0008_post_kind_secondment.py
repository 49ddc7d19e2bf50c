from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cadres", "0007_cadre_rank_start_date"),
    ]

    operations = [
        migrations.AlterField(
            model_name="postrecord",
            name="kind",
            field=models.CharField(
                choices=[
                    ("regular", "一般岗位"),
                    ("township_frontline", "乡镇一线"),
                    ("project_frontline", "重大项目一线"),
                    ("first_secretary", "驻村第一书记"),
                    ("township_principal", "乡镇党政正职"),
                    ("secondment", "借调"),
                ],
                default="regular",
                max_length=30,
                verbose_name="岗位类型",
            ),
        ),
    ]
