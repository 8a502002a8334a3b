"""Services of a fault test's own, never the shared ones the rest of the suite uses: a
PostgreSQL cluster (initdb in a temporary folder, another port), a Redis on another port,
and gunicorn with production settings on them. Each can be stopped, restarted or have a
worker killed while requests run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv/bin/python")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    return str(versions[-1] / name)


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def wait_until(check, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up in {seconds} s")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Postgres:
    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.data = folder / "data"

    def _ctl(self, *args: str) -> None:
        # The server it starts keeps what it is given as its output: never a pipe of ours,
        # which would then never close (its log goes to the folder's `log`).
        subprocess.run(
            _as_postgres([_postgres_bin("pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self) -> None:
        if not self.data.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.folder.parent, "postgres", "postgres")
                shutil.chown(self.folder, "postgres", "postgres")
            subprocess.run(
                _as_postgres(
                    [_postgres_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
                ),
                check=True,
                capture_output=True,
            )
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def restart(self) -> None:
        """A fast restart: sessions are cut, new connections refused until it is back."""
        self._ctl("-m", "fast", "-l", str(self.folder / "log"), "-w", "restart")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/fideliza"


class Redis:
    def __init__(self):
        self.port, self.process = free_port(), None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: _port_open(self.port), seconds=10, what="Redis")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def production_environment(*, database_url: str, redis_port: int, extra: dict) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CACHE_URL": f"rediscache://127.0.0.1:{redis_port}/1",
        "SECRET_KEY": "faults-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_HOSTS": "true",
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT_PER_MINUTE": str(10**9),
        **extra,
    }


def django_run(environment: dict, code: str) -> dict:
    """Run `code` (which sets `result`) in a Django process on those services."""
    script = f"import django, json\ndjango.setup()\n{code}\nprint(json.dumps(result))"
    done = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def manage(environment: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


class Gunicorn:
    def __init__(self, environment: dict, workers: int):
        self.environment, self.workers, self.port = environment, workers, free_port()
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "config.wsgi:application",
                f"--workers={self.workers}",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                "--graceful-timeout=5",
            ],
            cwd=ROOT,
            env=self.environment,
        )

        def answers() -> bool:
            try:
                urllib.request.urlopen(f"{self.url}/livez/", timeout=1)  # noqa: S310
            except OSError:
                return False
            return True

        wait_until(answers, seconds=60, what="gunicorn")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in found.split()]

    def kill_a_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


@contextmanager
def services():
    """A PostgreSQL and a Redis of the test's own, stopped and removed afterwards. The
    cluster's folder is a new one in the system's temporary folder (pytest's is private to
    root, and PostgreSQL runs as `postgres` under root)."""
    folder = Path(tempfile.mkdtemp(prefix="fideliza-faults-"))
    postgres, redis = Postgres(folder / "pg"), Redis()
    postgres.start()
    subprocess.run(
        [_postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres"]
        + ["fideliza"],
        check=True,
        capture_output=True,
    )
    redis.start()
    try:
        yield postgres, redis
    finally:
        redis.stop()
        with suppress(subprocess.CalledProcessError):  # already down
            postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
