"""Demo data for a first look: a small office with hours, an IVR, a queue, a rota and an
after-hours message, plus a message-taking line that `make call` rings."""

import secrets
from datetime import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from company_numbers.models import CompanyNumber
from pbx.audio.convert import BadAudio
from pbx.extensions import do_add_device, do_create_extension, do_link_user, do_set_forwarding, do_set_pin
from pbx.models import (
    Destination,
    Device,
    Extension,
    Menu,
    MenuOption,
    OpeningInterval,
    Prompt,
    Queue,
    QueueMember,
    Scenario,
    Schedule,
    WeeklyDuty,
)
from pbx.prompts import audio_from_text, do_save_prompt
from voicemail.models import Mailbox

OFFICE_NUMBER = "+48221234567"
MESSAGE_LINE = "+48221234568"
DEMO_EXTENSIONS = [
    ("101", "Anna Nowak", "+48601000101"),
    ("102", "Piotr Kowalski", "+48601000102"),
    ("103", "Recepcja", ""),
]
DEMO_STAFF = [("101", "anna"), ("102", "piotr")]  # sign in to /me/ as agents


SPOKEN = [
    ("Powitanie", "Dzień dobry, tu biuro firmy Demo. Dziękujemy za telefon.", "hello-world"),
    (
        "Menu główne",
        "Aby połączyć się z działem sprzedaży, naciśnij jeden. Recepcja: dwa. Aby zostawić wiadomość, naciśnij zero.",
        "demo-moreinfo",
    ),
]


class Command(BaseCommand):
    help = (
        "Load demo data (idempotent). New SIP passwords and PINs (for *97 voicemail and *96 prompts) "
        "are written to var/demo-phones.txt."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            created = [
                do_create_extension(number, name, actor="load_demo", mobile=mobile)
                for number, name, mobile in DEMO_EXTENSIONS
                if not Extension.objects.filter(number=number).exists()
            ]
            if not CompanyNumber.objects.exists():
                self._office()
        if created:
            pins = {ext.number: f"{secrets.randbelow(10**6):06d}" for ext, _ in created}
            for ext, _ in created:
                do_set_pin(ext, pins[ext.number], actor="load_demo")
            self._write_credentials(created, pins)
            anna = Extension.objects.get(number="101")
            if not anna.devices.exists():  # Anna has a second phone: a softphone on her laptop
                device, password = do_add_device(anna, "Softphone w laptopie", actor="load_demo")
                self._write_device(device, password)
            self._staff_accounts()
        self.stdout.write(f"demo data ready: office {OFFICE_NUMBER}, message line {MESSAGE_LINE}, extensions 101-103")

    def _office(self) -> None:
        prompt = {
            name: Prompt.objects.get_or_create(name=name, defaults={"sound": sound})[0]
            for name, sound in [
                ("Zamknięte", "please-try-call-later"),  # stock sounds: Polish built-in versions play
                ("Nagraj wiadomość", "vm-intro"),
                ("Oddzwonimy", "to-call-this-number"),
            ]
        }
        for name, text, stock in SPOKEN:
            prompt[name] = self._spoken(name, text, stock)
        people = {x.number: x for x in Extension.objects.all()}
        hours = Schedule.objects.create(name="Biuro")
        for day in range(5):
            OpeningInterval.objects.create(schedule=hours, weekday=day, opens=time(8), closes=time(16))
            WeeklyDuty.objects.create(
                extension=people["101" if day % 2 == 0 else "102"], weekday=day, starts=time(0), ends=time(23, 59)
            )
        sales = Queue.objects.create(name="Sprzedaż", strategy=Queue.Strategy.RING_ALL, max_wait_seconds=45)
        for position, number in enumerate(["101", "102"]):
            QueueMember.objects.create(queue=sales, extension=people[number], position=position)
        dest = Destination.objects.create
        office_box = Mailbox.objects.create(name="Biuro")
        office_box.owners.add(people["101"], people["102"])
        voicemail = dest(
            name="Poczta głosowa", kind="voicemail", prompt=prompt["Nagraj wiadomość"], seconds=60, mailbox=office_box
        )
        to_sales = dest(name="Kolejka: sprzedaż", kind="queue", queue=sales, then=voicemail)
        reception = dest(name="Recepcja", kind="extension", extension=people["103"], seconds=20, then=to_sales)
        menu = Menu.objects.create(name="Menu główne", prompt=prompt["Menu główne"])
        for digit, target in [("1", to_sales), ("2", reception), ("0", voicemail)]:
            MenuOption.objects.create(menu=menu, digit=digit, destination=target)
        to_menu = dest(name="Menu główne", kind="menu", menu=menu, then=to_sales)
        greeting = dest(name="Powitanie", kind="announcement", prompt=prompt["Powitanie"], then=to_menu)
        offer = dest(name="Oddzwonimy?", kind="callback_offer", prompt=prompt["Oddzwonimy"], then=voicemail)
        closed = dest(name="Po godzinach", kind="announcement", prompt=prompt["Zamknięte"], then=offer)
        # Piotr's calls reach his mobile when none of his office phones is on (instead of plan B).
        piotrs_mobile = dest(
            name="Komórka Piotra", kind="external", external_number=people["102"].mobile, seconds=25, then=voicemail
        )
        do_set_forwarding(people["102"], "load_demo", forward_unreachable=piotrs_mobile)
        office = Scenario.objects.create(name="Biuro", schedule=hours, when_open=greeting, when_closed=closed)
        CompanyNumber.objects.create(e164=OFFICE_NUMBER, label="Biuro", scenario=office, is_main=True)

        take_message = dest(name="Nagraj 3 s", kind="voicemail", seconds=3)
        message_greeting = dest(
            name="Powitanie linii wiadomości", kind="announcement", prompt=prompt["Powitanie"], then=take_message
        )
        line = Scenario.objects.create(name="Linia wiadomości", when_open=message_greeting)
        CompanyNumber.objects.create(e164=MESSAGE_LINE, label="Linia wiadomości (demo)", scenario=line)

    def _spoken(self, name: str, text: str, stock: str) -> Prompt:
        """A prompt read out in Polish (until the office records its own); Asterisk's English
        stock sound where this machine cannot read text out (no espeak-ng or ffmpeg)."""
        existing = Prompt.objects.filter(name=name).first()
        if existing is not None:
            return existing
        try:
            return do_save_prompt(Prompt(name=name, text=text), audio_from_text(text), "speech", actor="load_demo")
        except BadAudio as exc:
            self.stderr.write(f"prompt {name!r} stays Asterisk's English {stock!r}: {exc}")
            return Prompt.objects.create(name=name, sound=stock)

    def _staff_accounts(self) -> None:
        """Anna and Piotr sign in to their own page (/me/) as agents; their passwords go to the
        same file as the phones'."""
        agent = Group.objects.get(name="Agent")
        lines = []
        for number, username in DEMO_STAFF:
            extension = Extension.objects.get(number=number)
            if extension.user_id is not None or User.objects.filter(username=username).exists():
                continue
            password = secrets.token_urlsafe(12)
            first, last = extension.display_name.split(" ", 1)
            user = User.objects.create_user(username, password=password, first_name=first, last_name=last)
            user.groups.add(agent)
            do_link_user(extension, user, actor="load_demo")
            lines.append(f"{username}\t{password}\t(their own page /me/, extension {number})\n")
        with (Path(settings.VAR_DIR) / "demo-phones.txt").open("a", encoding="utf-8") as handle:
            handle.writelines(lines)

    def _write_device(self, device: Device, password: str) -> None:
        path = Path(settings.VAR_DIR) / "demo-phones.txt"
        with path.open("a", encoding="utf-8") as handle:
            handle.write(
                f"{device.sip_username}\t{password}\t(second phone of {device.extension.number})\t{device.name}\n"
            )

    def _write_credentials(self, created: list[tuple[Extension, str]], pins: dict[str, str]) -> None:
        path = Path(settings.VAR_DIR) / "demo-phones.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{ext.number}\t{password}\tPIN {pins[ext.number]}\t{ext.display_name}" for ext, password in created]
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        path.chmod(0o600)
        self.stdout.write(f"SIP passwords and PINs of new extensions written to {path} (shown nowhere else)")
