"""Recordings on S3-compatible object storage (CENTRALA_S3_BUCKET, config/settings.py), against
a local S3 server the test starts (moto's): stored encrypted under the firm's prefix, played
back, erased, deleted by retention, and an orphan object found and removed. The same paths
as on local files; nothing here is mocked but the server is a local one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from moto.server import ThreadedMotoServer

from compliance import retention
from config.settings import s3_storage
from pbx.models import Call
from recordings.actions import do_erase_recording, do_ingest_recording
from recordings.crypto import RecordingUnreadable
from recordings.models import Recording
from tests.e2e.private_postgres import free_port

from .test_recordings import make_wav

pytestmark = pytest.mark.django_db
BUCKET, PREFIX, REGION = "centrala-nagrania", "firma-1", "eu-central-1"


@pytest.fixture
def s3(settings: Any) -> Iterator[Any]:
    """A local S3 server with an empty bucket, and Centrala's storage pointed at it."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    httpx.post(f"{endpoint}/moto-api/reset").raise_for_status()  # moto keeps its buckets per process
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s"
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    environ = {
        "CENTRALA_S3_BUCKET": BUCKET,
        "CENTRALA_S3_ENDPOINT": endpoint,
        "CENTRALA_S3_REGION": REGION,
        "CENTRALA_S3_ACCESS_KEY": "k",
        "CENTRALA_S3_SECRET_KEY": "s",
        "CENTRALA_S3_PREFIX": PREFIX,
    }
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(environ)}
    try:
        yield client
    finally:
        server.stop()


def objects(client: Any) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


@pytest.fixture
def call() -> Call:
    return Call.objects.create(channel_id="1.1", direction="inbound", started_at=timezone.now())


def test_a_recording_is_stored_encrypted_in_the_bucket_and_played_back(s3: Any, call: Call, tmp_path: Path):
    assert getattr(default_storage, "bucket_name", None) == BUCKET  # the S3 storage, not local files
    path = make_wav(tmp_path / "r.wav", 1.5)
    recording = do_ingest_recording(str(call.pk), "k-caller", "wav", path)
    stored = objects(s3)
    assert list(stored) == [f"{PREFIX}/{recording.file.name}"]
    (ciphertext,) = stored.values()
    assert b"RIFF" not in ciphertext and len(ciphertext) == path.stat().st_size + 12 + 16  # nonce and tag
    assert Recording.objects.get().audio() == path.read_bytes()


def test_erasure_and_retention_remove_the_objects(s3: Any, call: Call, tmp_path: Path):
    path = make_wav(tmp_path / "r.wav", 1)
    erased = do_ingest_recording(str(call.pk), "k-one", "wav", path)
    expired = do_ingest_recording(str(call.pk), "k-two", "wav", path)
    do_erase_recording(erased, "dpo", reason="erasure request")
    assert list(objects(s3)) == [f"{PREFIX}/{expired.file.name}"]
    with pytest.raises(RecordingUnreadable):
        Recording.objects.get(pk=erased.pk).audio()
    Recording.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    result = retention.do_apply_retention(apply=True)
    assert (result.deleted, objects(s3)) == (1, {})


def test_an_orphan_object_is_found_under_the_prefix_and_removed(s3: Any, call: Call, tmp_path: Path, monkeypatch):
    kept = do_ingest_recording(str(call.pk), "k-kept", "wav", make_wav(tmp_path / "r.wav", 1))
    default_storage.save("recordings/2026/11/30/left-by-a-crash.wav.enc", ContentFile(b"x" * 100))
    monkeypatch.setattr(retention, "ORPHAN_AGE", timedelta(seconds=-60))  # everything counts as old enough
    assert retention.do_apply_retention(apply=True).orphan_files == 1
    assert list(objects(s3)) == [f"{PREFIX}/{kept.file.name}"]
