"""The office's own prompts: any audio file becomes what Asterisk plays, a typed text is read
out in Polish, bad input is refused with a sentence and leaves nothing behind, a prompt in
use cannot be deleted, and a lost file is named and replaced by a greeting on calls."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from api.actions import do_create_token
from compliance.checklist import run_checks
from compliance.models import AuditEntry
from pbx.audio import library
from pbx.audio.convert import BadAudio, convert
from pbx.audio.speech import MAX_CHARACTERS, speak
from pbx.directory import load_directory
from pbx.models import Destination, Prompt

pytestmark = pytest.mark.django_db


def tone(path: Path, seconds: float = 2.0, frequency: int = 880, extra: tuple[str, ...] = ()) -> Path:
    """A sine tone in whatever format the file name says (ffmpeg picks the encoder)."""
    source = ["-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *source, *extra, str(path)], check=True)
    return path


def wav_info(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path)) as audio:
        return (
            audio.getnchannels(),
            audio.getframerate(),
            audio.getsampwidth(),
            audio.getnframes() / audio.getframerate(),
        )


def peak(path: Path) -> int:
    with wave.open(str(path)) as audio:
        frames = audio.readframes(audio.getnframes())
    return max(abs(s) for s in memoryview(frames).cast("h"))


def library_files() -> set[str]:
    folder = Path(library.folder(library.PROMPTS))
    return {p.name for p in folder.iterdir()}


@pytest.fixture(autouse=True)
def sounds(settings, tmp_path: Path) -> Path:
    """A sounds library of the test's own."""
    settings.CENTRALA_SOUNDS_DIR = tmp_path / "sounds"
    settings.ASTERISK_SOUNDS_DIR = "/srv/sounds"
    return settings.CENTRALA_SOUNDS_DIR


@pytest.fixture
def office_manager() -> User:
    user = User.objects.create_user("basia", password="Basia-Long-Password-1", is_staff=True)
    user.groups.add(Group.objects.get(name="Office manager"))
    return user


# --- conversion ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("stereo-44k.wav", ("-ac", "2", "-ar", "44100")),
        (
            "greeting.mp3",
            (
                "-ac",
                "2",
            ),
        ),
        ("greeting.ogg", ("-c:a", "libvorbis")),
        ("greeting.m4a", ("-c:a", "aac")),
    ],
)
def test_any_usual_audio_file_becomes_mono_16_bit_at_8_and_16_khz(tmp_path, name, extra):
    seconds = convert(tone(tmp_path / name, 2.0, extra=extra), tmp_path, "out")
    assert seconds == pytest.approx(2.0, abs=0.1)
    assert wav_info(tmp_path / "out.wav")[:3] == (1, 8000, 2)
    assert wav_info(tmp_path / "out.wav16")[:3] == (1, 16000, 2)
    assert wav_info(tmp_path / "out.wav")[3] == pytest.approx(2.0, abs=0.1)


def test_a_quiet_recording_is_brought_up_to_speech_loudness(tmp_path):
    quiet = tone(tmp_path / "quiet.wav", 3.0, extra=("-af", "volume=0.02", "-ar", "8000"))
    convert(quiet, tmp_path, "out")
    before, after = peak(quiet), peak(tmp_path / "out.wav")
    assert before < 32768 * 0.005  # a quarter of a percent of full scale
    assert after > 32768 * 0.1 and after > 20 * before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Dzien dobry, to jest tekst, nie dzwiek.\n" * 20, "not a sound recording"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(range(256)) * 4, "not a sound recording"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a sound recording"),
        (b"", "not a sound recording"),
    ],
    ids=["text", "corrupt mp3", "truncated wav", "empty"],
)
def test_a_file_that_is_not_audio_is_refused_with_a_sentence_and_leaves_nothing(tmp_path, content, message):
    bad = tmp_path / "upload.bin"
    bad.write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BadAudio, match=message):
        convert(bad, out, "x")
    assert list(out.iterdir()) == []


def test_a_two_hour_recording_is_refused(tmp_path):
    long = tmp_path / "long.wav"
    silence = ["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "7200", "-c:a", "pcm_u8"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *silence, str(long)], check=True)
    with pytest.raises(BadAudio, match="lasts 120 minutes; a prompt may last at most 10 minutes"):
        convert(long, tmp_path, "x")
    assert not (tmp_path / "x.wav").exists()


def test_text_is_read_out_in_polish(tmp_path):
    seconds = speak("Dzień dobry, tu biuro rachunkowe.", tmp_path, "t")  # a short clip, too
    assert 1.0 < seconds < 10.0
    assert wav_info(tmp_path / "t.wav")[:3] == (1, 8000, 2)
    assert peak(tmp_path / "t.wav") > 32768 * 0.5  # brought up to speech loudness (espeak-ng alone is quiet)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Type the text"), ("   \n ", "Type the text"), ("a" * 5000, "has 5000 characters; at most 1000")],
)
def test_an_empty_or_too_long_text_is_refused(tmp_path, text, message):
    with pytest.raises(BadAudio, match=message):
        speak(text, tmp_path, "t")
    assert list(tmp_path.iterdir()) == []
    assert MAX_CHARACTERS == 1000


# --- the admin -------------------------------------------------------------------------------


def add_prompt(client: Client, name: str, **fields: object) -> object:
    return client.post("/admin/pbx/prompt/add/", {"name": name, "text": "", "sound": "", **fields})


def admin_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_office_uploads_an_mp3_greeting_and_hears_it_in_the_admin(tmp_path, office_manager):
    mp3 = tone(tmp_path / "powitanie.mp3", 3.0).read_bytes()
    client = admin_for(office_manager)
    response = client.post(
        "/admin/pbx/prompt/add/",
        {
            "name": "Powitanie",
            "source": "upload",
            "upload": SimpleUploadedFile("powitanie.mp3", mp3),
            "text": "",
            "sound": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    prompt = Prompt.objects.get(name="Powitanie")
    assert (prompt.source, round(prompt.seconds or 0)) == ("upload", 3)
    assert prompt.media_uri == f"sound:/srv/sounds/prompts/{prompt.file_stem}"
    assert library_files() == {f"{prompt.file_stem}.wav", f"{prompt.file_stem}.wav16"}
    page = client.get(f"/admin/pbx/prompt/{prompt.pk}/change/").content.decode()
    assert f"/admin/prompts/{prompt.pk}/audio" in page and "3.0 s" in page
    audio = client.get(f"/admin/prompts/{prompt.pk}/audio")
    content = b"".join(audio.streaming_content)  # type: ignore[attr-defined]  # read to the end: the file closes
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav" and content[:4] == b"RIFF"
    assert AuditEntry.objects.filter(action="config.add", target=f"pbx.prompt:{prompt.pk}").exists()


def test_a_new_upload_replaces_the_old_files_and_a_text_can_replace_the_upload(
    tmp_path, office_manager, django_capture_on_commit_callbacks
):
    client = admin_for(office_manager)
    first = SimpleUploadedFile("a.wav", tone(tmp_path / "a.wav").read_bytes())
    client.post(
        "/admin/pbx/prompt/add/", {"name": "Menu", "source": "upload", "upload": first, "text": "", "sound": ""}
    )
    prompt = Prompt.objects.get(name="Menu")
    old = prompt.file_stem
    second = SimpleUploadedFile("b.ogg", tone(tmp_path / "b.ogg", extra=("-c:a", "libvorbis")).read_bytes())
    with_commit = {"name": "Menu", "source": "upload", "upload": second, "text": "", "sound": ""}
    with django_capture_on_commit_callbacks(execute=True):  # the old files go once the change commits
        assert client.post(f"/admin/pbx/prompt/{prompt.pk}/change/", with_commit).status_code == 302
    prompt.refresh_from_db()
    assert prompt.file_stem != old and library_files() == {f"{prompt.file_stem}.wav", f"{prompt.file_stem}.wav16"}
    spoken = {"name": "Menu", "source": "speech", "text": "Aby połączyć się z biurem, naciśnij jeden.", "sound": ""}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/admin/pbx/prompt/{prompt.pk}/change/", spoken).status_code == 302
    prompt.refresh_from_db()
    assert prompt.source == "speech" and prompt.seconds and prompt.seconds > 1
    assert library_files() == {f"{prompt.file_stem}.wav", f"{prompt.file_stem}.wav16"}


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"source": "upload", "upload": ("notes.txt", b"not audio at all")}, "not a sound recording"),
        ({"source": "upload"}, "Choose the recording to upload."),
        ({"source": "speech", "text": ""}, "Type the text to be read out."),
        ({"source": "stock", "sound": ""}, "Name the stock sound"),
    ],
)
def test_bad_input_in_the_admin_is_an_error_on_the_form_and_nothing_is_saved(office_manager, form, error):
    data = {"name": "Zły", "text": "", "sound": "", **form}
    if "upload" in form:
        data["upload"] = SimpleUploadedFile(*form["upload"])
    response = admin_for(office_manager).post("/admin/pbx/prompt/add/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Prompt.objects.filter(name="Zły").exists()
    assert library_files() == set()


def test_a_prompt_in_use_cannot_be_deleted(tmp_path, office_manager):
    prompt = Prompt.objects.create(name="Powitanie", sound="hello-world")
    Destination.objects.create(name="Powitanie", kind="announcement", prompt=prompt)
    response = admin_for(office_manager).post(f"/admin/pbx/prompt/{prompt.pk}/delete/", {"post": "yes"})
    assert "Cannot delete prompt" in response.content.decode()
    assert Prompt.objects.filter(pk=prompt.pk).exists()


def test_someone_without_the_right_cannot_hear_a_prompt(tmp_path, office_manager):
    client = admin_for(office_manager)
    upload = SimpleUploadedFile("a.wav", tone(tmp_path / "a.wav").read_bytes())
    add_prompt(client, "P", source="upload", upload=upload)
    prompt = Prompt.objects.get(name="P")
    stranger = User.objects.create_user("jan", password="Jan-Long-Password-12", is_staff=True)
    assert admin_for(stranger).get(f"/admin/prompts/{prompt.pk}/audio").status_code == 403


# --- the API ---------------------------------------------------------------------------------


def api_for(user: User, scopes: list[str], name: str = "crm") -> APIClient:
    _, token = do_create_token(name, user, scopes, actor="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_the_api_takes_an_upload_and_a_text_and_serves_the_audio(tmp_path, office_manager):
    api = api_for(office_manager, ["prompts:read", "prompts:write"])
    with tone(tmp_path / "p.m4a", 2.0, extra=("-c:a", "aac")).open("rb") as upload:
        made = api.post("/api/prompts/", {"name": "Powitanie", "audio": upload}, format="multipart")
    assert made.status_code == 201, made.content
    assert made.json()["source"] == "upload" and made.json()["seconds"] == pytest.approx(2.0, abs=0.1)
    spoken = api.post("/api/prompts/", {"name": "Noc", "source": "speech", "text": "Biuro jest zamknięte."})
    assert spoken.status_code == 201, spoken.content
    audio = api.get(f"/api/prompts/{made.json()['id']}/audio/")
    content = b"".join(audio.streaming_content)  # type: ignore[attr-defined]
    assert audio.status_code == 200 and content[:4] == b"RIFF"
    entry = AuditEntry.objects.filter(action="config.add").last()
    assert entry is not None and entry.actor == "basia (token crm)"


def test_the_api_refuses_bad_audio_naming_the_field_and_changes_nothing(office_manager):
    api = api_for(office_manager, ["prompts:read", "prompts:write"])
    bad = SimpleUploadedFile("x.mp3", b"\x00" * 1000)
    response = api.post("/api/prompts/", {"name": "Zły", "audio": bad}, format="multipart")
    assert response.status_code == 400
    assert "not a sound recording" in response.json()["fields"]["audio"][0]
    long_text = api.post("/api/prompts/", {"name": "Zły", "source": "speech", "text": "a" * 1001})
    assert long_text.status_code == 400 and "text" in long_text.json()["fields"]
    assert not Prompt.objects.filter(name="Zły").exists() and library_files() == set()


def test_the_api_cannot_delete_a_prompt_in_use_and_needs_its_scope(office_manager):
    prompt = Prompt.objects.create(name="Powitanie", sound="hello-world")
    Destination.objects.create(name="Powitanie", kind="announcement", prompt=prompt)
    assert api_for(office_manager, ["prompts:write"]).delete(f"/api/prompts/{prompt.pk}/").status_code == 409
    assert api_for(office_manager, ["calls:read"], "reports").get("/api/prompts/").status_code == 403


# --- on calls ----------------------------------------------------------------------------------


def test_calls_play_the_own_file_and_a_lost_file_is_replaced_by_the_greeting_and_named(
    tmp_path, office_manager, caplog
):
    client = admin_for(office_manager)
    upload = SimpleUploadedFile("a.wav", tone(tmp_path / "a.wav").read_bytes())
    client.post(
        "/admin/pbx/prompt/add/", {"name": "Powitanie", "source": "upload", "upload": upload, "text": "", "sound": ""}
    )
    prompt = Prompt.objects.get()
    dest = Destination.objects.create(name="Powitanie", kind="announcement", prompt=prompt)
    assert load_directory().destinations[dest.pk].prompt == prompt.media_uri  # type: ignore[union-attr]
    library.remove(library.PROMPTS, prompt.file_stem)
    assert load_directory().destinations[dest.pk].prompt == "sound:hello-world"  # type: ignore[union-attr]
    load_directory()  # the next reload: the log says it once, not every few seconds
    assert [r.message for r in caplog.records if "is missing" in r.message] == [
        "the sound file of prompt 'Powitanie' is missing; callers hear the general greeting instead"
    ]
    status = client.get("/admin/status/").content.decode()
    assert 'id="missing-prompts"' in status and "Powitanie" in status
    [check] = [c for c in run_checks() if "sound file" in str(c.title)]
    assert not check.ok and "Powitanie" in str(check.title)


def test_built_in_messages_are_polish_when_the_callers_language_is_polish(settings):
    settings.PROMPT_LANGUAGE = "pl"
    call_command("build_sounds", stdout=io.StringIO())
    prompt = Prompt.objects.create(name="Powitanie", sound="hello-world")
    dest = Destination.objects.create(name="Powitanie", kind="announcement", prompt=prompt)
    directory = load_directory()
    polish = library.uri(library.SYSTEM, "pl", "hello-world")
    assert directory.destinations[dest.pk].prompt == polish  # type: ignore[union-attr]
    assert directory.not_in_service == library.uri(library.SYSTEM, "pl", "ss-noservice")
    settings.PROMPT_LANGUAGE = "en"
    assert load_directory().destinations[dest.pk].prompt == "sound:hello-world"  # type: ignore[union-attr]


def test_building_the_built_in_messages_again_changes_nothing(settings):
    first, second = io.StringIO(), io.StringIO()
    call_command("build_sounds", "--language", "pl", stdout=first)
    call_command("build_sounds", "--language", "pl", stdout=second)
    assert "0 built" not in first.getvalue() and "0 built," in second.getvalue()
    with pytest.raises(CommandError, match="no built-in messages in 'xx'"):
        call_command("build_sounds", "--language", "xx")


def test_the_api_asks_for_what_each_kind_of_prompt_needs_as_the_admin_does(office_manager):
    api = api_for(office_manager, ["prompts:read", "prompts:write"])
    spoken = api.post("/api/prompts/", {"name": "Noc", "source": "speech", "text": "Biuro jest zamknięte."})
    assert spoken.status_code == 201
    # calling read-out audio an upload would leave callers hearing a text under the wrong name
    switched = api.patch(f"/api/prompts/{spoken.json()['id']}/", {"source": "upload"})
    assert switched.status_code == 400 and switched.json()["fields"]["audio"] == ["Choose the recording to upload."]
    stock = api.post("/api/prompts/", {"name": "Zły", "source": "stock"})
    assert stock.status_code == 400 and "Name the stock sound" in stock.json()["fields"]["sound"][0]
    assert Prompt.objects.get(pk=spoken.json()["id"]).source == "speech"
    assert not Prompt.objects.filter(name="Zły").exists()
