"""bin/test-database: the suite finds PostgreSQL, or makes a private one when none answers (a
fresh machine), and says so; a DATABASE_URL that does not answer is named."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = [sys.executable, str(ROOT / "bin" / "test-database")]


def test_with_no_server_answering_a_private_one_is_made_started_and_kept() -> None:
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        pytest.fail("PostgreSQL's initdb is not installed: the suite itself needs PostgreSQL")
    tmp_path = Path(tempfile.mkdtemp(prefix="centrala-test-database-"))  # pytest's own is closed to other users
    tmp_path.chmod(0o755)  # the postgres user runs the cluster when the suite runs as root
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"CENTRALA_SHARED_POSTGRES": "127.0.0.1:1", "CENTRALA_PRIVATE_POSTGRES": str(tmp_path / "pg")}
    first = subprocess.run(SCRIPT, env=env, capture_output=True, text=True, timeout=180, check=False)
    try:
        assert first.returncode == 0, first.stderr
        url = first.stdout.strip()
        assert url.startswith("postgres://postgres@127.0.0.1:") and url.endswith("/centrala")
        assert "no PostgreSQL answers: making a private one in" in first.stderr
        with psycopg.connect(url.replace("/centrala", "/postgres").replace("postgres://", "postgresql://", 1)) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        again = subprocess.run(SCRIPT, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert (again.returncode, again.stdout.strip(), again.stderr) == (0, url, "")  # kept, running: silent
    finally:
        pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, pg_ctl, "-D", str(tmp_path / "pg" / "data"), "-m", "immediate", "stop"],
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_database_url_that_does_not_answer_is_named() -> None:
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/centrala"}
    done = subprocess.run(SCRIPT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert 'DATABASE_URL does not answer: connection failed: connection to server at "127.0.0.1", port 1 failed' in (
        done.stderr
    )
