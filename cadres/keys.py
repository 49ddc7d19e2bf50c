"""Key rotation of the registry's encrypted columns (core/crypto.py): ``manage.py
rotate_encryption_keys``.

A new encryption key is put first in DJANGO_FIELD_ENCRYPTION_KEYS, the old ones kept after
it; this re-encrypts every value still under an old key with the first, after which the old
keys can be dropped. With ``rehash`` (a new DJANGO_ID_HASH_KEY) it also recomputes each ID
number's keyed hash from the decrypted number: the old hash key is not needed.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from core.bulk import bulk_update_rows
from core.crypto import decrypt, keyed_hasher, under_first_key

from . import idnumber, search
from .models import Cadre

BATCH_SIZE = 2000


@dataclass
class RotationCounts:
    rows: int = 0  # cadres read
    reencrypted: int = 0  # values that were under an old key
    rehashed: int = 0  # ID-number hashes that changed
    written: int = 0  # cadres written


def encryption_keys_rotate(
    *,
    rehash: bool = False,
    batch_size: int = BATCH_SIZE,
    report: Callable[[RotationCounts], None] | None = None,
) -> RotationCounts:
    """Re-encrypt under the first key, a batch of cadres at a time, each batch in its own
    transaction with its rows locked (so an edit meanwhile is neither lost nor overwritten).
    A value no configured key opens stops the run with ``UndecryptableValue`` before its batch
    is written; the batches before it are done, and running again continues cheaply (values
    already under the first key are left as they are)."""
    fields = [f for f in Cadre._meta.concrete_fields if getattr(f, "encrypted", False)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT id, {quote('id_number_hash')}, {quote('id_tail_hash')}, {columns} FROM {quote(Cadre._meta.db_table)} "
        f"WHERE id > %s ORDER BY id LIMIT %s{lock}"
    )
    number_at = [f.name for f in fields].index("id_number")
    digest = keyed_hasher()
    counts = RotationCounts()
    last = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [last, batch_size])
                rows = cursor.fetchall()
            if not rows:
                break
            updates = []
            for pk, stored_hash, stored_tail, *tokens in rows:
                stale = [bool(t) and not under_first_key(t) for t in tokens]
                clear = [decrypt(t) if t else t for t in tokens]
                new_hash = digest(idnumber.normalize(clear[number_at])) if rehash else stored_hash
                # the search's hash of the last six digits is under the same key
                new_tail = digest(search.tail_text(clear[number_at])) if rehash else stored_tail
                if any(stale) or new_hash != stored_hash or new_tail != stored_tail:
                    counts.reencrypted += sum(stale)
                    counts.rehashed += new_hash != stored_hash
                    updates.append((pk, *clear, new_hash, new_tail))
            if updates:
                bulk_update_rows(
                    Cadre, [*(f.name for f in fields), "id_number_hash", "id_tail_hash"], updates
                )
            counts.rows += len(rows)
            counts.written += len(updates)
            last = rows[-1][0]
        if report is not None:
            report(counts)
    return counts
