"""CSV import of members: reading the file, mapping its columns, the dry run, the import.

A manager uploads a file (`import_create`), says which column holds what
(`import_set_mapping`, prefilled by `guess_mapping`), reads the dry run's report
(`import_analyze`, in a task) and confirms (`import_confirm`). The import (`import_run`,
in a task) enrolls each new customer through `member_enroll` with the import channel, so
the rules are exactly the counter's; each enrolled member gets the usual "Enrolled
(import)" line on their timeline.

Safe to run twice, and resumable: a row whose phone, email or external id belongs to a
member already is counted as matched and skipped, and rows go in batches, each committed
together with the resume point (`rows_done`) and the counts, so a task that dies leaves
every earlier batch imported and the next run carries on where it stopped.

The file is read in parsing.py, its columns mapped in mapping.py, each row read in
cells.py and checked against the others and the members in matching.py; running.py runs
the import.
"""

from apps.members.csv_import.mapping import (
    DATE_ORDERS,
    TARGET_LABELS,
    TARGETS,
    Target,
    default_date_order,
    guess_mapping,
    mapping_check,
)
from apps.members.csv_import.parsing import ENCODINGS, decode
from apps.members.csv_import.running import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    check_size,
    import_analyze,
    import_can_remap,
    import_can_resume,
    import_confirm,
    import_create,
    import_is_stale,
    import_list,
    import_run,
    import_set_mapping,
)

__all__ = [
    "DATE_ORDERS",
    "ENCODINGS",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "TARGETS",
    "TARGET_LABELS",
    "Target",
    "check_size",
    "decode",
    "default_date_order",
    "guess_mapping",
    "import_analyze",
    "import_can_remap",
    "import_can_resume",
    "import_confirm",
    "import_create",
    "import_is_stale",
    "import_list",
    "import_run",
    "import_set_mapping",
    "mapping_check",
]
