"""The local Asterisk sandbox (bin/asterisk-sandbox) seen from Python: SIPp calls for the
demo command and the end-to-end tests. Development and test use only; production Asterisk
runs in docker/ and is never driven from here."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "bin" / "asterisk-sandbox"
SCENARIOS = Path(settings.BASE_DIR) / "tests" / "sipp"
CARRIER_ADDRESS = "127.0.0.2"  # SIPp plays the carrier from here (TRUNK_MATCH)


class SandboxError(RuntimeError):
    pass


@dataclass(frozen=True)
class SippResult:
    returncode: int
    successful: int
    failed: int
    output: str


def sandbox(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    result = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if result.returncode != 0:
        raise SandboxError(f"asterisk-sandbox {' '.join(args)} failed: {result.stderr.strip() or result.stdout}")
    return result.stdout.strip()


def sipp_call(
    scenario: str,
    number: str,
    caller: str,
    *,
    sip_port: int,
    local_port: int = 5070,
    calls: int = 1,
    rate: float = 1.0,
    timeout_s: int = 60,
    address: str = CARRIER_ADDRESS,
    extra: tuple[str, ...] = (),
) -> SippResult:
    """Run SIPp inside the chroot calling `number` from `caller` (by default as the carrier).

    An empty `caller` sets no caller variable (for scenarios that are staff phones).
    """
    copy_scenarios()
    argv = [
        str(SCRIPT),
        "exec",
        "sipp",
        f"127.0.0.1:{sip_port}",
        "-sf",
        f"/srv/centrala/sipp/{scenario}",
        "-s",
        number,
        *(("-set", "caller", caller) if caller else ()),
        "-i",
        address,
        "-mi",
        address,
        "-p",
        str(local_port),
        "-m",
        str(calls),
        "-r",
        str(rate),
        "-timeout",
        f"{timeout_s}s",
        "-timeout_error",
        "-nostdin",
        "-trace_screen",
        "-screen_file",
        "/tmp/sipp-screen.log",
        *extra,
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s + 30, check=False)
    output = proc.stdout + proc.stderr
    return SippResult(proc.returncode, _count(output, "Successful call"), _count(output, "Failed call"), output)


def copy_scenarios() -> Path:
    """Put the SIPp scenarios where SIPp in the chroot sees them: /srv/centrala/sipp."""
    target = Path(sandbox("root")) / "srv" / "centrala" / "sipp"
    target.mkdir(parents=True, exist_ok=True)
    for path in SCENARIOS.glob("*.xml"):
        shutil.copy(path, target / path.name)
    return target


def _count(output: str, label: str) -> int:
    # SIPp's final screen: "  Successful call   |   0   |   1   " (periodic | cumulative)
    match = re.findall(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", output)
    return int(match[-1]) if match else 0
