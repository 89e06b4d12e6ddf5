"""The seal's edges: no key, the wrong key, a changed value, files, and the local key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import storage
from bot._keys import KEY_FILE, local_settings
from planbot.errors import SealError, SettingsError, StorageError
from planbot.settings import Settings
from storage._personal import seal, seal_bytes, unseal, unseal_bytes, using

KEY = "crypto-test-key-0123456789-abcdefghijklmn"


def test_sealing_happens_only_inside_a_transaction() -> None:
    with pytest.raises(StorageError, match="transaction"):
        seal("words")
    assert unseal("plain words") == "plain words"  # a value from before needs no key


def test_a_value_under_a_key_says_to_set_one_when_there_is_none() -> None:
    keys = storage.Keyring(KEY)
    with using(keys):
        sealed, blob = seal("likes herons"), seal_bytes(b"\x00photo")
        assert unseal(sealed) == "likes herons" and unseal_bytes(blob) == b"\x00photo"
    with using(None):  # --insecure-no-encryption: stored plainly...
        assert seal("x") == "x" and unseal_bytes(seal_bytes(b"\x00p")) == b"\x00p"
        for opening in (lambda: unseal(sealed), lambda: unseal_bytes(blob)):
            with pytest.raises(SealError, match="PLANBOT_SECRET_KEY"):  # ...and cannot open
                opening()


def test_a_broken_value_or_file_does_not_open() -> None:
    keys = storage.Keyring(KEY)
    sealed = keys.seal("likes herons")
    with pytest.raises(SealError, match="does not open"):
        keys.unseal(sealed[: len(keys.mark)] + "!!not base64")
    blob = keys.seal_file(b"sound")
    with pytest.raises(SealError, match="does not open"):
        keys.open_file(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(SealError, match="not sealed"):
        keys.open_file(b"RIFF plain")
    assert storage.open_file(b"RIFF plain", None) == b"RIFF plain"
    assert storage.seal_file(b"RIFF plain", None) == b"RIFF plain"
    with pytest.raises(SealError, match="no key"):
        storage.open_file(blob, None)
    with pytest.raises(SealError, match="at least"):
        storage.Keyring("short")


def test_settings_refuse_short_keys_and_old_keys_alone(tmp_path: Path) -> None:
    base = {"PLANBOT_DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="planbot keys new"):
        Settings.from_env(base | {"PLANBOT_SECRET_KEY": "hunter2"})
    with pytest.raises(SettingsError, match="PLANBOT_OLD_SECRET_KEYS"):
        Settings.from_env(base | {"PLANBOT_SECRET_KEY": KEY, "PLANBOT_OLD_SECRET_KEYS": "a,b"})
    with pytest.raises(SettingsError, match="PLANBOT_SECRET_KEY is not"):
        Settings.from_env(base | {"PLANBOT_OLD_SECRET_KEYS": KEY})
    both = Settings.from_env(
        base | {"PLANBOT_SECRET_KEY": KEY, "PLANBOT_OLD_SECRET_KEYS": f" {KEY[::-1]} ,"}
    )
    assert both.old_secret_keys == (KEY[::-1],)
    keys = storage.keys_of(both)
    assert keys is not None and keys.old_ids == [storage.Keyring(KEY[::-1]).key_id]


def test_the_local_key_is_made_once_for_its_owner_only(tmp_path: Path) -> None:
    plain = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path / "data")})
    first = local_settings(plain)
    path = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.secret_key and local_settings(plain).secret_key == first.secret_key
    given = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path), "PLANBOT_SECRET_KEY": KEY})
    assert local_settings(given).secret_key == KEY  # PLANBOT_SECRET_KEY comes first
    path.write_text("oops\n")
    with pytest.raises(SettingsError, match="does not hold a key"):
        local_settings(plain)
