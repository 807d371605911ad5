"""A PostgreSQL cluster of the test's own, on a free loopback port, that the test may stop
and start: the shared server on 5432 carries the test suite itself and must stay up.

Made with the machine's initdb/pg_ctl (as the postgres user when the suite runs as root,
which PostgreSQL refuses to run as), filled with a copy of the test database by pg_dump."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

# PostgreSQL refuses to run as root; CI runs the suite as root.
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (looked in /usr/lib/postgresql/*/bin)")
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="centrala-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/centrala"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *argv: str, stdin: Any = None) -> None:
        proc = subprocess.run(
            [*AS_POSTGRES, *argv], stdin=stdin, capture_output=True, text=True, timeout=120, check=False
        )
        if proc.returncode != 0:
            log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr}{proc.stdout}\n{log}")

    def create(self, copy_of: str, copy_port: int) -> None:
        """A new cluster holding a copy of the database `copy_of` on the shared server (its port)."""
        self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()
        self._run(_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "centrala")
        dump = subprocess.run(
            [_bin("pg_dump"), "-h", "127.0.0.1", "-p", str(copy_port), "-U", "postgres", "--no-owner", copy_of],
            capture_output=True,
            check=True,
            timeout=120,
        )
        dump_file = self.root / "copy.sql"
        dump_file.write_bytes(dump.stdout)
        with dump_file.open() as sql:
            self._run(
                _bin("psql"),
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "centrala",
                stdin=sql,
            )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        """As an outage: connections are cut, new ones refused."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url.replace("postgres://", "postgresql://"), connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def destroy(self) -> None:
        subprocess.run(
            [*AS_POSTGRES, _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def private_postgres(copy_of: str, copy_port: int) -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        pg.create(copy_of, copy_port)
        yield pg
    finally:
        pg.destroy()
