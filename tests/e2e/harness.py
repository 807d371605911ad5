"""Peers for end-to-end calls: baresip staff phones and a SIPp carrier, all inside the
sandbox chroot on loopback, each stopped by its context manager."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from pbx.asterisk_config import apply_config, asterisk_path
from pbx.models import Extension
from pbx.sandbox import SCRIPT, SippResult, copy_scenarios, sandbox, sipp_call

CARRIER_PORT = 15090  # TRUNK_CONTACT in config.test_settings


def _wait(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


def caller_talking_long(number: str, caller: str, local_port: int) -> Future[SippResult]:
    """The carrier's caller who talks 25 s once answered (caller_talks_long.xml), in a thread."""
    return ThreadPoolExecutor(1).submit(
        sipp_call,
        "caller_talks_long.xml",
        number,
        caller,
        sip_port=settings.ASTERISK_SIP_PORT,
        local_port=local_port,
        timeout_s=60,
    )


def allow_plain_sip(extension: str) -> None:
    """Mark `extension` as a plain-SIP test phone (SIPp has no SRTP), as an admin would, and
    reload Asterisk: it may then register and call without TLS, from loopback only."""
    Extension.objects.filter(number=extension).update(plain_sip=True)
    apply_config(Path(settings.ASTERISK_CONFIG_DIR), reload=True)


@contextmanager
def phone(
    extension: str,
    password: str,
    *,
    answers: bool,
    registered: Callable[[str], bool],
    host: str = "127.0.0.1",
    tls_port: int | None = None,
) -> Iterator[None]:
    """A baresip phone registered as `extension` (a SIP login: `101`, or a device's `101-2`)
    over SIP TLS with SRTP (as every staff phone is), at `host`:`tls_port` (default: the
    sandbox's); it answers at once, or only rings. It trusts the sandbox's development CA."""
    root = Path(sandbox("root"))
    home = root / "srv" / "centrala" / "phones" / extension
    home.mkdir(parents=True, exist_ok=True)
    number, _, nth = extension.partition("-")
    port = 25000 + int(number) + 1000 * int(nth or 0)
    settings_lines = [
        "poll_method epoll",
        f"sip_listen 127.0.0.1:{port}",
        f"sip_cafile {asterisk_path(Path(settings.ASTERISK_CONFIG_DIR) / 'keys' / 'ca.crt')}",
        "audio_player aufile,/dev/null",
        # A continuous tone: aufile sources end the call at end of file; ausine needs 48 kHz.
        "audio_source ausine,440",
        "ausrc_srate 48000",
        "auplay_srate 48000",
        "audio_alert aufile,/dev/null",
        "module_path /usr/lib/baresip/modules",
        "module g711.so",
        "module srtp.so",
        "module aufile.so",
        "module ausine.so",
        "module_app account.so",
        "module_app menu.so",
    ]
    (home / "config").write_text("\n".join(settings_lines) + "\n")
    mode = "auto" if answers else "manual"
    (home / "accounts").write_text(
        f"<sip:{extension}@{host}:{tls_port or settings.ASTERISK_TLS_PORT};transport=tls>;auth_pass={password};"
        f"answermode={mode};regint=60;audio_codecs=PCMA,PCMU;mediaenc=srtp-mand\n"
    )
    proc = subprocess.Popen(
        [str(SCRIPT), "exec", "baresip", "-f", f"/srv/centrala/phones/{extension}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: registered(extension), 10, f"phone {extension} did not register")
        yield
    finally:
        _stop(proc)
        _wait(lambda: not registered(extension), 10, f"phone {extension} did not unregister")


class Carrier:
    """The SIP carrier on 127.0.0.2:15090: answers every call Centrala sends out."""

    def __init__(self, messages: Path) -> None:
        self.messages = messages

    def received(self) -> str:
        """Every SIP message the carrier exchanged, as SIPp logged them."""
        return self.messages.read_text(errors="replace") if self.messages.exists() else ""


@contextmanager
def carrier(calls: int = 1) -> Iterator[Carrier]:
    folder = copy_scenarios()
    log = folder / "carrier.msg"
    log.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            str(SCRIPT),
            "exec",
            "sipp",
            "-sf",
            "/srv/centrala/sipp/carrier_answers.xml",
            "-i",
            "127.0.0.2",
            "-mi",
            "127.0.0.2",
            "-p",
            str(CARRIER_PORT),
            "-m",
            str(calls),
            "-timeout",
            "90s",
            "-nostdin",
            "-trace_msg",
            "-message_file",
            "/srv/centrala/sipp/carrier.msg",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    try:
        yield Carrier(log)
    finally:
        _stop(proc)


def _sipp_phone(extension: str) -> list[str]:
    """SIPp as staff phone `extension` at 127.0.0.4, one call, towards the test instance."""
    address = "127.0.0.4"
    return [
        str(SCRIPT),
        "exec",
        "sipp",
        f"127.0.0.1:{settings.ASTERISK_SIP_PORT}",
        "-i",
        address,
        "-mi",
        address,
        "-m",
        "1",
        "-set",
        "ext",
        extension,
        "-nostdin",
    ]


def sip_register(extension: str, password: str, port: int = 5098) -> bool:
    """Whether Asterisk accepts `extension`'s REGISTER with `password` now (plain SIP from
    127.0.0.4, so the extension must be a plain-SIP test phone). Unregisters again at once."""
    copy_scenarios()
    argv = [
        *_sipp_phone(extension),
        "-p",
        str(port),
        "-au",
        extension,
        "-ap",
        password,
        "-sf",
        "/srv/centrala/sipp/phone_checks_password.xml",
        "-timeout",
        "10s",
        "-timeout_error",
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False).returncode == 0


def phone_dials(
    number: str, extension: str, password: str, port: int, *, scenario: str = "phone_dials_out.xml", timeout_s: int = 30
) -> SippResult:
    """SIPp as staff phone `extension` (plain SIP from 127.0.0.3) dials `number`, answers the
    digest challenge with `password`, talks 3 s if answered. `scenario`: phone_dials_out_sdes.xml
    offers SRTP over UDP, as someone with a TLS phone's password but not the phone would."""
    return sipp_call(
        scenario,
        number,
        "",
        sip_port=settings.ASTERISK_SIP_PORT,
        local_port=port,
        address="127.0.0.3",
        extra=("-set", "ext", extension, "-au", extension, "-ap", password),
        timeout_s=timeout_s,
    )


@contextmanager
def sipp_agent(
    scenario: str, extension: str, password: str, registered: Callable[[str], bool]
) -> Iterator[subprocess.Popen[str]]:
    """A SIPp staff phone at 127.0.0.4:5096: registers `extension`, then answers and plays `scenario`.
    SIPp speaks plain SIP and RTP, so the extension is made a plain-SIP test phone first."""
    allow_plain_sip(extension)
    copy_scenarios()
    base = _sipp_phone(extension)
    # Register from the port the answering SIPp then takes over: Asterisk rewrites the contact
    # to the source port, and its first OPTIONS check is retransmitted until that SIPp answers.
    registration = subprocess.run(
        [
            *base,
            "-sf",
            "/srv/centrala/sipp/agent_registers.xml",
            "-p",
            "5096",
            "-au",
            extension,
            "-ap",
            password,
            "-timeout",
            "10s",
            "-timeout_error",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if registration.returncode != 0:
        raise AssertionError(f"SIPp agent {extension} could not register:\n{registration.stdout[-2000:]}")
    proc = subprocess.Popen(
        [*base, "-sf", f"/srv/centrala/sipp/{scenario}", "-p", "5096", "-timeout", "90s", "-aa"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Up to one qualify period (30 s) for Asterisk to see the new contact answer OPTIONS.
        _wait(lambda: registered(extension), 40, f"SIPp agent {extension} is not reachable")
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()  # else a ResourceWarning (an error in this suite) at collection


@contextmanager
def lamp_phone(extension: str, password: str) -> Iterator[Callable[[], str]]:
    """A SIPp staff phone at 127.0.0.4:5097 registered as `extension` (a plain-SIP test phone)
    that answers Asterisk's NOTIFYs and OPTIONS; yields a function returning every SIP message
    it exchanged. Unregistered again afterwards."""
    allow_plain_sip(extension)
    folder = copy_scenarios()
    log = folder / f"lamp-{extension}.msg"
    log.unlink(missing_ok=True)
    argv = [
        *_sipp_phone(extension),
        "-sf",
        "/srv/centrala/sipp/phone_shows_lamp.xml",
        "-oocsf",
        "/srv/centrala/sipp/phone_answers_requests.xml",
        "-p",
        "5097",
        "-au",
        extension,
        "-ap",
        password,
        "-trace_msg",
        "-message_file",
        f"/srv/centrala/sipp/{log.name}",
        "-timeout",
        "120s",
    ]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def exchanged() -> str:
        return log.read_text(errors="replace") if log.exists() else ""

    try:
        _wait(lambda: "SIP/2.0 200 OK" in exchanged(), 10, f"SIPp phone {extension} did not register")
        yield exchanged
    finally:
        _stop(proc)
        sip_register(extension, password, port=5097)  # registers over the old contact, then unregisters
