"""What the Stasis app keeps on its own disk, so calls go on while PostgreSQL is away.

- `FactSpool`: call facts the database could not take, in order, one JSON line each. They
  are written to the database once it answers again, also by the next run of the app if
  this one is killed meanwhile.
- `DirectorySnapshot`: the last configuration read from the database. An app started while
  the database is unreachable serves calls with it instead of refusing them all.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pbx.callflow import commands as c
from pbx.callflow import scenario, tollfraud
from pbx.callflow.scenario import Directory
from pbx.callflow.vocabulary import StepKind
from pbx.files import replace_file

log = logging.getLogger(__name__)

FACT_TYPES: dict[str, type[c.Fact]] = {
    cls.__name__: cls
    for cls in vars(c).values()
    if isinstance(cls, type) and issubclass(cls, c.Fact) and cls is not c.Fact
}


def encode_fact(fact: c.Fact) -> str:
    fields = {f.name: getattr(fact, f.name) for f in dataclasses.fields(fact)}
    fields["at"] = fact.at.isoformat()
    return json.dumps({"fact": type(fact).__name__, **fields}, separators=(",", ":"), sort_keys=True)


def decode_fact(line: str) -> c.Fact:
    """The fact a line of the spool holds; ValueError naming what is wrong with it."""
    try:
        data = json.loads(line)
        cls = FACT_TYPES[data.pop("fact")]
        data["at"] = datetime.fromisoformat(data["at"])
        if cls is c.CallStep:
            data["kind"] = StepKind(data["kind"])
        return cls(**data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise ValueError(f"not a call fact ({type(exc).__name__}: {exc}): {line[:200]!r}") from exc


# The types a saved configuration may hold: the call flow's frozen dataclasses, nothing else.
SNAPSHOT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for module in (scenario, tollfraud)
    for cls in vars(module).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
}


def encode_value(value: Any) -> Any:
    """A configuration value as JSON, each non-JSON type tagged by name."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"~": type(value).__name__, **fields}
    if isinstance(value, Mapping):
        return {"~": "map", "items": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, tuple | list):
        return {"~": "tuple", "items": [encode_value(v) for v in value]}
    if isinstance(value, frozenset | set):
        return {"~": "frozenset", "items": sorted((encode_value(v) for v in value), key=repr)}
    for kind in (datetime, date, time):  # datetime first: it is a date too
        if isinstance(value, kind):
            return {"~": kind.__name__, "iso": value.isoformat()}
    return value


def decode_value(data: Any) -> Any:
    """The value `encode_value` wrote; ValueError for a type that is not on the list."""
    if isinstance(data, list):
        raise ValueError("a bare list is not a configuration value")
    if not isinstance(data, dict):
        return data
    tag = data.get("~")
    if tag == "map":
        return {decode_value(k): decode_value(v) for k, v in data["items"]}
    if tag == "tuple":
        return tuple(decode_value(v) for v in data["items"])
    if tag == "frozenset":
        return frozenset(decode_value(v) for v in data["items"])
    if tag == "datetime":
        return datetime.fromisoformat(data["iso"])
    if tag == "date":
        return date.fromisoformat(data["iso"])
    if tag == "time":
        return time.fromisoformat(data["iso"])
    if tag in SNAPSHOT_TYPES:
        return SNAPSHOT_TYPES[tag](**{k: decode_value(v) for k, v in data.items() if k != "~"})
    raise ValueError(f"not a configuration value: {str(tag)[:40]!r}")


def private_folder(folder: Path) -> None:
    """The app's own folder: only its user may enter it (call facts hold callers' numbers)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)


class FactSpool:
    """An append-only file of facts waiting for the database; with no path, memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def load(self) -> list[c.Fact]:
        """The facts an earlier run left. A line that cannot be read (cut short when the
        machine lost power mid-write) is moved to `<spool>.bad` with the reason, never dropped."""
        if self.path is None or not self.path.exists():
            return []
        facts, bad = [], []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                facts.append(decode_fact(line))
            except ValueError as exc:
                log.error("call fact spool %s: %s", self.path, exc)
                bad.append(line)
        if bad:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
            bad_file = os.open(self.path.with_suffix(self.path.suffix + ".bad"), flags, 0o600)
            with os.fdopen(bad_file, "a", encoding="utf-8") as out:
                out.writelines(f"{line}\n" for line in bad)
            self.replace(facts)
        if facts:
            log.warning("%d call facts from an earlier run wait in %s for the database", len(facts), self.path)
        return facts

    def append(self, facts: Iterable[c.Fact]) -> None:
        if self.path is None:
            return
        lines = "".join(f"{encode_fact(fact)}\n" for fact in facts)
        if not lines:
            return
        private_folder(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(lines)
            out.flush()
            os.fsync(out.fileno())

    def replace(self, facts: list[c.Fact]) -> None:
        """Keep only `facts` (those still not written): a new file renamed over the old one,
        so a crash leaves either the old list or the new one, never half of either."""
        if self.path is None:
            return
        if not facts:
            self.path.unlink(missing_ok=True)
            return
        replace_file(self.path, "".join(f"{encode_fact(fact)}\n" for fact in facts).encode(), mode=0o600)


class DirectorySnapshot:
    """The last configuration read from the database, kept for a start without it.

    As JSON with each value's type named from a fixed list (`encode_value`): a file that
    executes nothing when read, unlike pickle, even if someone could write it. A snapshot an
    older version wrote that no longer loads counts as no snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._saved: Directory | None = None

    def save(self, directory: Directory) -> None:
        if directory == self._saved:
            return
        private_folder(self.path.parent)
        replace_file(self.path, json.dumps(encode_value(directory), separators=(",", ":")).encode(), mode=0o600)
        self._saved = directory

    def load(self) -> Directory | None:
        try:
            data: Any = decode_value(json.loads(self.path.read_bytes()))
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.error("the saved configuration %s cannot be read: %s", self.path, exc)
            return None
        return data if isinstance(data, Directory) else None

    def saved_at(self) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.path.stat().st_mtime).astimezone()
        except FileNotFoundError:
            return None
