"""On PostgreSQL the audit table refuses UPDATE and DELETE outright. Someone with the rights
to disable the trigger can still tamper, and the hash chain then shows where."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION centrala_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER compliance_auditentry_append_only
    BEFORE UPDATE OR DELETE ON compliance_auditentry
    FOR EACH ROW EXECUTE FUNCTION centrala_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS compliance_auditentry_append_only ON compliance_auditentry;
DROP FUNCTION IF EXISTS centrala_audit_append_only();
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
