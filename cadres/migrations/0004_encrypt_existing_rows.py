"""Step 2 of 3: every stored ID number and phone number encrypted under the first key of
DJANGO_FIELD_ENCRYPTION_KEYS, and the number's keyed hash (DJANGO_ID_HASH_KEY) filled in, a
batch of rows at a time, a transaction per batch (one UPDATE per batch: COPY + UPDATE … FROM
on PostgreSQL), so a large registry is not one long transaction.

Rows are read as stored, bypassing the field's decryption: before this step they hold clear
text. A value that is already a token (a run interrupted and started again) is decrypted
first, so running it twice encrypts nothing twice. Backwards, the values are decrypted again.
"""

from django.db import migrations, transaction

BATCH = 5000


def _looks_encrypted(value: str) -> bool:
    # A Fernet token is URL-safe Base64 of version byte 0x80 + ...: it starts with "gAAAAA" and
    # is far longer than an ID or phone number (120 characters for 18).
    return len(value) > 60 and value.startswith("gAAAAA")


def _rows(connection, table: str):
    quote = connection.ops.quote_name
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, {quote('id_number')}, {quote('phone')} FROM {quote(table)} "
                f"WHERE id > %s ORDER BY id LIMIT {BATCH}",
                [last],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]


def encrypt_rows(apps, schema_editor):
    from cadres.idnumber import normalize
    from core.bulk import bulk_update_rows
    from core.crypto import decrypt, keyed_hasher

    Cadre = apps.get_model("cadres", "Cadre")
    digest = keyed_hasher()

    def clear(value):
        if value and _looks_encrypted(value):
            return decrypt(value)
        return value

    using = schema_editor.connection.alias
    for rows in _rows(schema_editor.connection, Cadre._meta.db_table):
        updates = []
        for pk, number, phone in rows:
            number = normalize(clear(number))
            # the encrypted field's converter encrypts the clear values as it writes them
            updates.append((pk, number, clear(phone) or "", digest(number)))
        with transaction.atomic(using=using):
            bulk_update_rows(Cadre, ["id_number", "phone", "id_number_hash"], updates, using=using)


def decrypt_rows(apps, schema_editor):
    from core.crypto import decrypt

    Cadre = apps.get_model("cadres", "Cadre")
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote(Cadre._meta.db_table)
    for rows in _rows(connection, Cadre._meta.db_table):
        updates = [
            (
                decrypt(number) if number and _looks_encrypted(number) else number,
                decrypt(phone) if phone and _looks_encrypted(phone) else phone,
                pk,
            )
            for pk, number, phone in rows
        ]
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {quote('id_number')} = %s, {quote('phone')} = %s WHERE id = %s",
                updates,
            )


class Migration(migrations.Migration):
    atomic = False  # a transaction per batch (see encrypt_rows)

    dependencies = [
        ("cadres", "0003_encrypt_personal_data"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
