"""A queue's own hold music: recordings the office uploaded, played in turn while callers wait.
The admin adds them to a queue and Asterisk's musiconhold.conf gets a class for it at once; the
Stasis app asks for that class; a new recording under the same prompt reaches Asterisk too; a
prompt that is hold music cannot be deleted, nor a stock sound be music."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.test import Client

from pbx.directory import load_directory
from pbx.models import Destination, Prompt, Queue, QueueMusic
from pbx.prompts import audio_from_file, do_save_prompt
from tests.conftest import signed_in
from tests.django.test_prompts import tone

pytestmark = pytest.mark.django_db(transaction=True)  # the push runs on commit, as in production


@pytest.fixture(autouse=True)
def config_dir(settings, tmp_path: Path) -> Path:
    settings.ASTERISK_CONFIG_DIR = tmp_path / "etc"
    settings.CENTRALA_SOUNDS_DIR = tmp_path / "sounds"
    settings.ASTERISK_SOUNDS_DIR = "/srv/sounds"
    settings.ARI_URL = "http://127.0.0.1:9/ari"  # nothing listens: the reload fails, the files are written
    return settings.ASTERISK_CONFIG_DIR


def own_recording(tmp_path: Path, name: str, frequency: int = 440) -> Prompt:
    return do_save_prompt(
        Prompt(name=name), audio_from_file(tone(tmp_path / f"{name}.wav", 2.0, frequency)), "upload", actor="t"
    )


def queue_form(queue: Queue, music: list[Prompt]) -> dict[str, str]:
    form = {
        "name": queue.name,
        "strategy": queue.strategy,
        "member_ring_seconds": "15",
        "max_wait_seconds": "60",
        "music_on_hold": "on",
        "announce_place_seconds": "30",
        "offer_callback": "on",
        "service_level_seconds": "20",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "music-TOTAL_FORMS": str(len(music)),
        "music-INITIAL_FORMS": "0",
        "music-MIN_NUM_FORMS": "0",
        "music-MAX_NUM_FORMS": "1000",
    }
    for n, prompt in enumerate(music):
        form |= {f"music-{n}-prompt": str(prompt.pk), f"music-{n}-position": str(n), f"music-{n}-queue": str(queue.pk)}
    return form


def test_music_added_in_the_admin_becomes_the_queues_class_in_asterisk_and_the_app_asks_for_it(
    tmp_path, config_dir, manager: User
):
    first, second = own_recording(tmp_path, "Jazz"), own_recording(tmp_path, "Komunikat o promocji", 660)
    sales = Queue.objects.create(name="Sprzedaż")
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    response = client.post(f"/admin/pbx/queue/{sales.pk}/change/", queue_form(sales, [second, first]))
    assert response.status_code == 302, response.content.decode()[:3000]
    conf = (config_dir / "musiconhold.conf").read_text()
    assert f"[centrala-queue-{sales.pk}]\n" in conf and "mode = playlist" in conf
    entries = [line for line in conf.splitlines() if line.startswith("entry = ")]
    assert entries == [f"entry = /srv/sounds/prompts/{p.file_stem}" for p in (second, first)]  # in their order
    waiting = Destination.objects.create(name="Kolejka", kind="queue", queue=sales)
    assert load_directory().destinations[waiting.pk].music_class == f"centrala-queue-{sales.pk}"  # type: ignore[union-attr]


def test_a_new_recording_under_a_hold_music_prompt_reaches_asterisk(tmp_path, config_dir):
    jazz = own_recording(tmp_path, "Jazz")
    sales = Queue.objects.create(name="Sprzedaż")
    QueueMusic.objects.create(queue=sales, prompt=jazz)
    do_save_prompt(jazz, audio_from_file(tone(tmp_path / "new.wav", 2.0, 550)), "upload", actor="t")
    assert f"entry = /srv/sounds/prompts/{jazz.file_stem}" in (config_dir / "musiconhold.conf").read_text()


def test_without_music_of_its_own_or_with_its_file_lost_a_queue_plays_the_default(tmp_path):
    jazz = own_recording(tmp_path, "Jazz")
    plain, lost = Queue.objects.create(name="Zwykła"), Queue.objects.create(name="Zgubiona")
    QueueMusic.objects.create(queue=lost, prompt=jazz)
    Path(tmp_path, "sounds", "prompts", f"{jazz.file_stem}.wav").unlink()
    assert plain.music_class == "" and lost.music_class == ""


def test_a_prompt_that_is_hold_music_cannot_be_deleted_and_a_stock_sound_cannot_be_music(tmp_path):
    jazz = own_recording(tmp_path, "Jazz")
    sales = Queue.objects.create(name="Sprzedaż")
    QueueMusic.objects.create(queue=sales, prompt=jazz)
    with pytest.raises(ProtectedError):
        jazz.delete()
    stock = QueueMusic(queue=sales, prompt=Prompt.objects.create(name="Stock", sound="hello-world"))
    with pytest.raises(ValidationError, match="not a stock sound"):
        stock.full_clean()
