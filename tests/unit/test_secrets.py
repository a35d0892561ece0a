"""Secrets on a headless machine: env override, owner-only file, never world-readable."""

from __future__ import annotations

import os

import pytest

from deskterm import secrets


@pytest.fixture
def no_keyring(tmp_path, monkeypatch):
    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    path = tmp_path / "secrets.json"
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(path))
    return path


def test_password_round_trips_through_an_owner_only_file(no_keyring):
    where = secrets.set_secret("shop-mail", "hunter2")
    assert where == str(no_keyring)
    assert secrets.get_secret("shop-mail") == "hunter2"
    assert os.stat(no_keyring).st_mode & 0o777 == 0o600


def test_environment_variable_overrides_the_stored_secret(no_keyring, monkeypatch):
    secrets.set_secret("shop-mail", "stored")
    monkeypatch.setenv("DESKTERM_SECRET_SHOP_MAIL_PASSWORD", "from-env")
    assert secrets.get_secret("shop-mail") == "from-env"


def test_group_readable_secrets_file_is_refused_with_the_fix(no_keyring):
    secrets.set_secret("a", "x")
    no_keyring.chmod(0o644)
    with pytest.raises(secrets.SecretError, match="chmod 600"):
        secrets.get_secret("a")


def test_deleted_secret_is_gone_and_others_stay(no_keyring):
    secrets.set_secret("a", "x")
    secrets.set_secret("b", "y", key="refresh_token")
    assert secrets.delete_secret("a") is True
    assert secrets.get_secret("a") is None
    assert secrets.get_secret("b", key="refresh_token") == "y"
    assert secrets.delete_secret("a") is False


def test_empty_secret_is_refused(no_keyring):
    with pytest.raises(secrets.SecretError):
        secrets.set_secret("a", "")


def test_secrets_stored_at_once_by_many_writers_are_all_kept(no_keyring):
    import threading

    def store(writer: int) -> None:
        for n in range(25):
            secrets.set_secret(f"team {writer}-{n}", "pw")

    writers = [threading.Thread(target=store, args=(w,)) for w in range(8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    assert all(secrets.get_secret(f"team {w}-{n}") == "pw" for w in range(8) for n in range(25))
    assert sorted(p.name for p in no_keyring.parent.iterdir()) == [
        "secrets.json",
        "secrets.json.lock",
    ]
