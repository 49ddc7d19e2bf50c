"""Cadre.id_number_masked: the ID number as roles that may not see it get it (idnumber.mask),
kept in clear so a report page of masked numbers decrypts none. Filled here for the rows
already registered, a batch at a time, a transaction per batch (one UPDATE per batch); the
stored numbers are decrypted under the current keys (core.crypto). Backwards: the column goes."""

from django.db import migrations, models, transaction

BATCH = 5000


def fill_masked(apps, schema_editor):
    from cryptography.fernet import InvalidToken

    from cadres.idnumber import mask
    from core.bulk import bulk_update_rows
    from core.crypto import decrypt, fernet

    keys = fernet()  # read once (decrypt reads them for every value)

    def clear(token: str) -> str:
        if not token:
            return ""
        try:
            return keys.decrypt(token.encode()).decode()
        except InvalidToken:
            return decrypt(token)  # raises the error that says which keys are missing

    Cadre = apps.get_model("cadres", "Cadre")
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote(Cadre._meta.db_table)
    using = connection.alias
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {quote('id_number')} FROM {table} WHERE id > %s ORDER BY id LIMIT {BATCH}", [last]
            )
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        updates = [(pk, mask(clear(token))) for pk, token in rows]
        with transaction.atomic(using=using):
            bulk_update_rows(Cadre, ["id_number_masked"], updates, using=using)


class Migration(migrations.Migration):
    atomic = False  # a transaction per batch

    dependencies = [
        ("cadres", "0012_cadre_counts_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="cadre",
            name="id_number_masked",
            field=models.CharField(default="", editable=False, max_length=18, verbose_name="身份证号（脱敏）"),
        ),
        migrations.RunPython(fill_masked, migrations.RunPython.noop),
    ]
