"""Behind PgBouncer in transaction mode (docs/SCALING.md), where a server connection is
another client's between two transactions, the parts of the suite that hold something
across statements still pass: the sale's locks and idempotency under parallel requests,
the analytics upkeep's lease and its refreshes racing tills, member exports (a cursor over
many chunks), merges. The whole suite was run behind it too (the issue's note); this is
the part CI runs on every change.

The pooler is our own (another port, a temporary folder) in front of the shared
PostgreSQL, and the tests run in a child pytest against a database of their own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.conftest import pgbouncer_path
from tests.core.test_replica import READER
from tests.faults.cluster import _as_postgres, _port_open, free_port, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.pgbouncer]

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "fideliza_pgbouncer"
# Django's test database inside the child run: made and migrated through the pooler.
TEST_DATABASE = f"test_{DATABASE}"
THROUGH_THE_POOLER = [
    "tests/api/test_api_concurrency.py",
    "tests/api/test_purchases_api.py",
    "tests/analytics/test_refresh_concurrency.py",
    "tests/analytics/test_upkeep_lease.py",
    "tests/analytics/test_rebuild_command.py",
    "tests/members/test_csv_export.py",
    "tests/members/test_merge_and_erase.py",
    "tests/tiers/test_day_totals.py",
    "tests/core/test_replica.py",
]


def _config(folder: Path, *, port: int, upstream: dict) -> Path:
    # Trust, as the shared server does; a pooler still needs the users it lets in listed.
    users = folder / "users.txt"
    users.write_text(f'"{upstream["USER"] or "postgres"}" ""\n"{READER}" ""\n')
    ini = folder / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = host={upstream['HOST'] or '127.0.0.1'} port={upstream['PORT'] or 5432}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {users}\n"
        "pool_mode = transaction\n"
        "max_client_conn = 400\n"
        "default_pool_size = 60\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
        f"pidfile = {folder / 'pgbouncer.pid'}\n"
    )
    return ini


def _drop_test_database(upstream: dict) -> None:
    with psycopg.connect(
        host=upstream["HOST"] or "127.0.0.1",
        port=upstream["PORT"] or 5432,
        user=upstream["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)')


@pytest.fixture
def pooler():
    upstream = connection.settings_dict
    folder = Path(tempfile.mkdtemp(prefix="fideliza-pgbouncer-"))
    if os.geteuid() == 0:  # PgBouncer refuses to run as root: it runs as `postgres`
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    ini = _config(folder, port=port, upstream=upstream)
    _drop_test_database(upstream)
    process = subprocess.Popen(_as_postgres([pgbouncer_path(), str(ini)]))
    try:
        wait_until(lambda: _port_open(port), seconds=10, what="PgBouncer")
        yield f"postgres://postgres@127.0.0.1:{port}/{DATABASE}", folder / "pgbouncer.log"
    finally:
        process.terminate()
        process.wait(10)
        _drop_test_database(upstream)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_parts_that_hold_something_across_statements_pass_behind_pgbouncer(pooler):
    url, log = pooler
    environment = dict(os.environ, DATABASE_URL=url, DATABASE_TRANSACTION_POOLER="true")
    # --reuse-db: the child leaves its database for us to drop once the pooler, which keeps
    # server connections to it, has stopped.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--reuse-db", "-x", *THROUGH_THE_POOLER],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in summary, summary
    assert "skipped" not in summary, summary
    assert f"login attempt: db={TEST_DATABASE}" in log.read_text()  # through the pooler
