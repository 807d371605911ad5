"""replace_file: a file is written whole or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pbx import files
from pbx.files import replace_file


def test_the_new_content_replaces_the_old_with_the_mode_asked_for(tmp_path: Path):
    target = tmp_path / "pjsip.conf"
    target.write_text("old")
    replace_file(target, b"new", mode=0o640)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pjsip.conf"]


def test_a_failure_while_writing_keeps_the_old_content_and_leaves_no_temporary_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "call-facts.jsonl"
    target.write_text("old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        replace_file(target, b"new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["call-facts.jsonl"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_as_root_the_file_gets_the_owner_of_the_folder_named(tmp_path: Path):
    folder = tmp_path / "etc"
    folder.mkdir()
    os.chown(folder, 1234, 1234)  # as the sandbox's asterisk user owns its config folder
    replace_file(folder / "ari.conf", b"x", owner_from=folder)
    assert ((folder / "ari.conf").stat().st_uid, (folder / "ari.conf").stat().st_gid) == (1234, 1234)
