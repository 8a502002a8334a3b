from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

# The database itself refuses to change or delete a ledger entry, whatever code runs.
# (PostgreSQL only: SQLite serves `make run`; TRUNCATE, used to reset test databases,
# fires no row trigger.)
FORBID = """
CREATE FUNCTION programs_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'programs_ledgerentry is append-only: record a correction instead';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER programs_ledger_append_only
    BEFORE UPDATE OR DELETE ON programs_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION programs_ledger_append_only();
"""
ALLOW = """
DROP TRIGGER programs_ledger_append_only ON programs_ledgerentry;
DROP FUNCTION programs_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = [PostgresOnlySQL(sql=FORBID, reverse_sql=ALLOW)]
