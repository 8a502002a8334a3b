"""CSV import and export of members (see csv_import.py, csv_export.py)."""

urlpatterns: list = []
