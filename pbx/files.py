"""Writing a file whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_file(
    target: Path, data: bytes, *, mode: int | None = None, owner_from: Path | None = None, durable: bool = True
) -> None:
    """Write `data` to a new file beside `target`, flush it to disk and rename it over
    `target`: a crash or a full disk leaves the old content or the new, never half of either,
    and no stray temporary file.

    `mode`: the new file's permissions. `owner_from`: a folder whose owner the file gets when
    we run as root (in the sandbox the folders belong to the chroot's asterisk user, which must
    read what we write there). `durable=False`: do not wait for the disk (a file that is
    rewritten often and worthless after a crash); still whole or not at all for readers."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        if owner_from is not None:
            stat = owner_from.stat()
            if os.geteuid() == 0 and (stat.st_uid, stat.st_gid) != (0, 0):
                os.chown(tmp, stat.st_uid, stat.st_gid)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
