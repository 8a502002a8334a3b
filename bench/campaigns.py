"""Issue 16's three figures in one command: a 100,000-member campaign frozen into
deliveries (target under 30 s) and sent into a local SMTP sink (target at least 100
emails a second per worker), by `bench/campaign_send.py`; segment counts at 1,000,000
members (target under 500 ms each), by `bench/segments.py`. Each runs in a process of its
own, on a throwaway database of its own, and prints its own figures.

    .venv/bin/python bench/campaigns.py [--only send|segments] [--members 100000]
        [--seconds 20] [--segment-members 1000000]
"""

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> int:
    print(f"== bench/{script} {' '.join(args)}", flush=True)
    command = [sys.executable, str(HERE / script), *args]
    return subprocess.run(command, check=False).returncode  # noqa: S603 (our own scripts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("send", "segments"))
    parser.add_argument("--members", type=int, default=100_000, help="the campaign's")
    parser.add_argument("--seconds", type=float, default=20, help="of sending, per campaign")
    parser.add_argument("--segment-members", type=int, default=1_000_000)
    options = parser.parse_args()
    failed = 0
    if options.only in (None, "send"):
        failed |= run(
            "campaign_send.py", "--members", str(options.members), "--seconds", str(options.seconds)
        )
    if options.only in (None, "segments"):
        failed |= run("segments.py", "--members", str(options.segment_members))
    return failed


if __name__ == "__main__":
    sys.exit(main())
