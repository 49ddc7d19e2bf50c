"""What migrations that alter the audit table share (not a migration: the loader skips names
starting with "_"). On SQLite, altering a field rebuilds the table, which drops the
append-only trigger of migration 0002; ``restore_trigger`` creates it again."""

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry
BEGIN
    SELECT RAISE(ABORT, 'audit trail is append-only');
END;
"""


def restore_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)
