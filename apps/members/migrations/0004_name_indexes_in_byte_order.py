from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

# One index per name column, in byte order (COLLATE "C"): it serves a prefix search as an
# ordered range and the list's sort by name, so a lookup reads only the rows it shows.
# It replaces the pattern-ops prefix indexes and the collation-ordered index of 0002,
# with which a common name meant sorting every match or walking half the table.
REPLACED = {
    "members_prefix_search_name": "(merchant_id, search_name varchar_pattern_ops)",
    "members_prefix_search_name_reversed": "(merchant_id, search_name_reversed varchar_pattern_ops)",
    "members_order_search_name": "(merchant_id, search_name)",
}
CREATED = {
    "members_name_bytes": "search_name",
    "members_name_reversed_bytes": "search_name_reversed",
}


class Migration(migrations.Migration):
    dependencies = [("members", "0003_csv_import_export")]

    operations = [
        *[
            PostgresOnlySQL(sql=f"DROP INDEX {name}", reverse_sql=migrations.RunSQL.noop)
            for name in REPLACED
        ],
        *[
            PostgresOnlySQL(
                sql=f'CREATE INDEX {name} ON members_member (merchant_id, ({column} COLLATE "C"), id)',
                reverse_sql=f"DROP INDEX {name}",
            )
            for name, column in CREATED.items()
        ],
    ]
