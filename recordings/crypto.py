"""Recordings encrypted at rest: each file has its own AES-256-GCM data key, and that key is
stored only wrapped (encrypted) by the master key from settings.

Destroying a recording's wrapped key makes every copy of its file unreadable, backups
included: erasure by key destruction. The recording's id is bound into both encryptions
(associated data), so a file or key moved to another recording does not decrypt.
"""

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
KEY_CONTEXT = b"centrala-recording-key:"
FILE_CONTEXT = b"centrala-recording-file:"


class RecordingUnreadable(Exception):
    """The recording cannot be decrypted: its key was destroyed, or file or key were altered."""


def master_key() -> bytes:
    """The 32-byte master key: RECORDING_MASTER_KEY (base64), or in development a per-machine
    key kept in var/recording-master.key (never in the repository)."""
    encoded = settings.RECORDING_MASTER_KEY
    if not encoded:
        if not settings.DEBUG:
            raise ImproperlyConfigured("RECORDING_MASTER_KEY must be set (32 random bytes, base64)")
        encoded = _development_key()
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured("RECORDING_MASTER_KEY is not valid base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"RECORDING_MASTER_KEY must decode to 32 bytes, not {len(key)}")
    return key


def _development_key() -> str:
    path = Path(settings.VAR_DIR) / "recording-master.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
    return path.read_text().strip()


def encrypt(plaintext: bytes, recording_id: str) -> tuple[bytes, bytes]:
    """Encrypt a recording: returns (stored file bytes, wrapped data key)."""
    data_key = AESGCM.generate_key(bit_length=256)
    file_nonce, key_nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(file_nonce, plaintext, FILE_CONTEXT + recording_id.encode())
    wrapped = AESGCM(master_key()).encrypt(key_nonce, data_key, KEY_CONTEXT + recording_id.encode())
    return file_nonce + ciphertext, key_nonce + wrapped


def decrypt(stored: bytes, wrapped_key: bytes, recording_id: str) -> bytes:
    if not wrapped_key:
        raise RecordingUnreadable(f"recording {recording_id}: its key was destroyed (erased)")
    try:
        data_key = AESGCM(master_key()).decrypt(
            wrapped_key[:NONCE_BYTES], wrapped_key[NONCE_BYTES:], KEY_CONTEXT + recording_id.encode()
        )
        return AESGCM(data_key).decrypt(
            stored[:NONCE_BYTES], stored[NONCE_BYTES:], FILE_CONTEXT + recording_id.encode()
        )
    except InvalidTag as exc:
        raise RecordingUnreadable(f"recording {recording_id}: file or key do not match (altered?)") from exc
