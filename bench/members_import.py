"""Time of the CSV import of members: upload, dry run and import of a large file.

Builds a throwaway database (PostgreSQL by default) with one merchant that already has
some members, generates a CSV file of N rows the way a spreadsheet in Spanish writes it
(semicolons, accents, day-first dates; some rows matching existing members, some repeated
in the file, some with a bad phone or email), then runs the real services in order:
upload (`import_create`), dry run (`import_set_mapping` → `import_analyze`), import
(`import_confirm` → `import_run`), and the same file once more (everything matches).
Tasks run inline (CELERY_TASK_ALWAYS_EAGER, as in the tests). Usage:

    .venv/bin/python bench/members_import.py [--rows 100000] [--existing 10000]

DATABASE_URL picks the server (default: the local PostgreSQL, its own database name).
"""

import argparse
import os
import random
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fideliza_bench_import")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

FIRST = ["Lucía", "José", "María", "Íñigo", "Ana", "Pablo", "Carmen", "Javier", "Noé", "Sofía"]
LAST = ["García", "Núñez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz"]
TAGS = ["vip", "café", "vegano", "mayorista"]
HEADER = "Nombre;Apellidos;Teléfono;Correo;Fecha de nacimiento;Acepta publicidad;Etiquetas;Código"


def phone(n: int) -> str:
    return f"6{n:08d}"


def build(existing: int):
    from apps.accounts.models import User
    from apps.core import services
    from apps.members.identifiers import new_card_code
    from apps.members.models import Channel, Member

    owner = User.objects.create_user(email="owner@bench.test", password="x")
    merchant = services.merchant_create(
        name="Bench",
        owner=owner,
        currency="EUR",
        country="ES",
        timezone_name="Europe/Madrid",
        language="es",
    )
    batch = 5000
    for start in range(0, existing, batch):
        Member.objects.bulk_create(
            Member(
                merchant=merchant,
                first_name="Existing",
                phone=f"+34{phone(n)}",
                card_code=new_card_code(),
                channel=Channel.COUNTER,
                search_name="existing",
            )
            for n in range(start, min(start + batch, existing))
        )
    return owner, merchant


def make_csv(rows: int, existing: int, seed: int = 7) -> bytes:
    """Row n has phone n: the first `existing` rows match members; 1% repeat an earlier
    row, 1% have a bad phone, 1% a bad email; a tenth have tags."""
    rng = random.Random(seed)
    lines = [HEADER]
    for n in range(rows):
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)} {rng.choice(LAST)}"
        number = phone(n)
        email = f"cliente{n}@example.com"
        roll = rng.random()
        if roll < 0.01 and n > 0:
            number = phone(rng.randrange(n))  # repeated in the file
        elif roll < 0.02:
            number = "12"
        elif roll < 0.03:
            email = "no-es-un-correo"
        birthday = f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1940, 2005)}"
        consent = rng.choice(["sí", "no", ""])
        tags = ", ".join(rng.sample(TAGS, 2)) if rng.random() < 0.1 else ""
        number = f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 9 else number
        lines.append(f"{first};{last};{number};{email};{birthday};{consent};{tags};POS-{n}")
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def timed(label: str, rows: int, results: list):
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        yield
    seconds = time.perf_counter() - started
    results.append((label, seconds, rows / seconds if seconds else 0, queries))
    print(f"{label:<36}{seconds:>9.1f}{rows / seconds:>12,.0f}{queries:>12,}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=10_000)
    options = parser.parse_args()

    from django.core.files.base import ContentFile

    from apps.members import csv_import
    from apps.members.models import Member, MemberImport

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner, merchant = build(options.existing)
        content = make_csv(options.rows, options.existing)
        print(
            f"{connection.vendor}: {options.rows:,} rows ({len(content) / 1024 / 1024:.1f} MB), "
            f"{options.existing:,} members already enrolled"
        )
        print(f"{'step':<36}{'seconds':>9}{'rows/s':>12}{'queries':>12}")
        results = []
        for run in ("first", "again"):
            with timed(f"upload ({run})", options.rows, results):
                member_import = csv_import.import_create(
                    merchant=merchant, actor=owner, file=ContentFile(content, name="bench.csv")
                )
            with timed(f"dry run ({run})", options.rows, results):
                csv_import.import_set_mapping(
                    member_import=member_import,
                    actor=owner,
                    mapping=member_import.mapping,
                    date_order="DMY",
                )
            member_import.refresh_from_db()
            print(f"  report: {member_import.analysis['counts']}")
            with timed(f"import ({run})", options.rows, results):
                csv_import.import_confirm(member_import=member_import, actor=owner)
            done = MemberImport.objects.get(pk=member_import.pk)
            print(
                f"  {done.status}: created {done.created_count:,}, matched "
                f"{done.matched_count:,}, repeated {done.duplicate_count:,}, "
                f"errors {done.error_count:,}; members now "
                f"{Member.objects.for_merchant(merchant).count():,}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
