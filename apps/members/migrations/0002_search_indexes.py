from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

# Prefix searches (LIKE 'abc%') use a B-tree only with pattern operator classes unless the
# database collation is plain C. These make the counter's lookups index scans at any size.
INDEXES = {
    "members_prefix_search_name": "search_name",
    "members_prefix_search_name_reversed": "search_name_reversed",
    "members_prefix_phone": "phone",
    "members_prefix_email": "email",
}


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql=f"CREATE INDEX {name} ON members_member (merchant_id, {column} varchar_pattern_ops)",
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, column in INDEXES.items()
    ] + [
        # Sorting the member list by name: pattern-ops indexes cannot order by collation.
        PostgresOnlySQL(
            sql="CREATE INDEX members_order_search_name ON members_member (merchant_id, search_name)",
            reverse_sql="DROP INDEX members_order_search_name",
        )
    ]
