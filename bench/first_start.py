#!/usr/bin/env python3
"""First start: how long `regiograaf serve` takes on a fresh machine to be ready to answer.

Each run starts the release server on a new, empty SQLite file, as the README's first command
does (create the file, migrate, load the bundled agendas, bind), and times it from the moment
the process is started until `/readyz` answers 200. It reports the runs, their median and
their maximum, as a Markdown table and as JSON.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def one_start(binary, workdir, timeout):
    """Seconds from spawning the server on a new SQLite file to its first 200 on /readyz."""
    port = free_port()
    database = f"sqlite://{workdir}/first.sqlite?mode=rwc"
    log = open(os.path.join(workdir, "server.log"), "w")
    started = time.perf_counter()
    server = subprocess.Popen(
        [binary, "--database-url", database, "serve", "--listen", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    try:
        url = f"http://127.0.0.1:{port}/readyz"
        while time.perf_counter() - started < timeout:
            if server.poll() is not None:
                sys.exit(f"the server exited with {server.returncode}; see {log.name}")
            if ready(url):
                return time.perf_counter() - started
            time.sleep(0.005)
        sys.exit(f"the server was not ready within {timeout} s; see {log.name}")
    finally:
        server.terminate()
        server.wait()
        log.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="the release server")
    parser.add_argument("--out", required=True, help="directory for first_start.json/.md")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    seconds = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(dir=args.out) as workdir:
            seconds.append(one_start(args.bin, workdir, args.timeout))
    result = {
        "case": "first start (new SQLite file, migrate, load the bundled agendas, ready)",
        "runs_ms": [round(s * 1000, 1) for s in seconds],
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }
    with open(os.path.join(args.out, "first_start.json"), "w") as f:
        json.dump(result, f, indent=2)
    runs = " / ".join(f"{ms:,.0f}" for ms in result["runs_ms"])
    table = (
        "| case | runs ms | median ms | max ms |\n|---|---|---|---|\n"
        f"| first start, SQLite with the bundled agendas | {runs} | "
        f"{result['median_ms']:,.0f} | {result['max_ms']:,.0f} |\n"
    )
    with open(os.path.join(args.out, "first_start.md"), "w") as f:
        f.write(table)
    print(table, end="")


if __name__ == "__main__":
    main()
