from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

# A wallet is a ledger in money: as for points (programs migration 0002), the database
# itself refuses to change or delete an entry, whatever code runs. Nothing is rewritten:
# no code path ever updated or deleted a cashback entry. (PostgreSQL only: SQLite serves
# `make run`; TRUNCATE, used to reset test databases, fires no row trigger.)
FORBID = """
CREATE FUNCTION coupons_cashbackentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'coupons_cashbackentry is append-only: record a correction instead';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER coupons_cashbackentry_append_only
    BEFORE UPDATE OR DELETE ON coupons_cashbackentry
    FOR EACH ROW EXECUTE FUNCTION coupons_cashbackentry_append_only();
"""
ALLOW = """
DROP TRIGGER coupons_cashbackentry_append_only ON coupons_cashbackentry;
DROP FUNCTION coupons_cashbackentry_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("coupons", "0004_stored_text")]

    operations = [PostgresOnlySQL(sql=FORBID, reverse_sql=ALLOW)]
