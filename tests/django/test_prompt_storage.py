"""The office's prompts kept in the storage as well (pbx/audio/stored.py): put there when a
change commits, dropped with the prompt or its old audio, and brought into another host's
sounds library by `manage.py sync_sounds`; on local files and on S3 (a local S3 server)."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from pbx.audio import library
from pbx.models import Prompt
from pbx.prompts import NewAudio, do_delete_prompt, do_save_prompt

from .test_s3_storage import objects, s3  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def converted(stem: str, tone: bytes) -> NewAudio:
    """Audio as the conversion leaves it in this host's library: 8 and 16 kHz."""
    for fmt, rate in (("wav", 8000), ("wav16", 16000)):
        with wave.open(str(library.folder(library.PROMPTS) / f"{stem}.{fmt}"), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(rate)
            audio.writeframes(tone * rate)
    return NewAudio(stem, 1.0)


def local(stem: str, fmt: str = "wav") -> Path:
    return library.folder(library.PROMPTS) / f"{stem}.{fmt}"


def save(prompt: Prompt, audio: NewAudio, capture: Any) -> Prompt:
    with capture(execute=True):
        return do_save_prompt(prompt, audio, Prompt.Source.UPLOAD, "ola")


def test_a_prompt_s_audio_is_kept_in_the_storage_and_another_host_fetches_it(django_capture_on_commit_callbacks):
    prompt = save(Prompt(name="Powitanie"), converted("p-aaa", b"\x01\x02"), django_capture_on_commit_callbacks)
    assert default_storage.exists("prompts/p-aaa.wav") and default_storage.exists("prompts/p-aaa.wav16")
    here = local("p-aaa").read_bytes()
    # another host: its library lacks the file until it syncs
    local("p-aaa").unlink()
    local("p-aaa", "wav16").unlink()
    assert not library.present(library.PROMPTS, "p-aaa")
    out = io.StringIO()
    call_command("sync_sounds", stdout=out)
    assert out.getvalue().strip() == "1 prompts: 2 files fetched, 0 files sent"
    assert local("p-aaa").read_bytes() == here and local("p-aaa").stat().st_mode & 0o777 == 0o644
    # new audio: the old files go from the storage once the change commits
    save(prompt, converted("p-bbb", b"\x03\x04"), django_capture_on_commit_callbacks)
    assert not default_storage.exists("prompts/p-aaa.wav") and default_storage.exists("prompts/p-bbb.wav")
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_prompt(Prompt.objects.get(pk=prompt.pk), "ola")
    assert not default_storage.exists("prompts/p-bbb.wav") and not default_storage.exists("prompts/p-bbb.wav16")


def test_sync_sends_what_only_this_host_has_and_names_audio_found_nowhere(django_capture_on_commit_callbacks):
    save(Prompt(name="Muzyka"), converted("p-ccc", b"\x05\x06"), django_capture_on_commit_callbacks)
    default_storage.delete("prompts/p-ccc.wav")  # the storage was away when it changed
    Prompt.objects.create(name="Zgubiony", source=Prompt.Source.UPLOAD, file_stem="p-gone")
    out, err = io.StringIO(), io.StringIO()
    call_command("sync_sounds", stdout=out, stderr=err)
    assert out.getvalue().strip() == "2 prompts: 0 files fetched, 1 files sent"
    assert default_storage.exists("prompts/p-ccc.wav")
    assert err.getvalue().strip() == "prompt 'Zgubiony': its audio (p-gone) is neither here nor in the storage"


def test_on_s3_a_second_host_plays_a_prompt_changed_on_the_first(s3: Any, django_capture_on_commit_callbacks):  # noqa: F811
    save(Prompt(name="Powitanie"), converted("p-ddd", b"\x07\x08"), django_capture_on_commit_callbacks)
    assert set(objects(s3)) == {"firma-1/prompts/p-ddd.wav", "firma-1/prompts/p-ddd.wav16"}
    here = local("p-ddd").read_bytes()
    local("p-ddd").unlink()
    local("p-ddd", "wav16").unlink()
    call_command("sync_sounds", stdout=io.StringIO())
    assert local("p-ddd").read_bytes() == here
