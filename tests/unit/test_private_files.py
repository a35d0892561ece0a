"""What deskterm writes stays private to its user wherever the database lives, and a headless
machine's password in the environment is enough to add an account."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from deskterm.cli.main import app
from deskterm.store.attachments import AttachmentStore, data_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_attachments_and_their_folders_are_private_even_with_a_loose_umask(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKTERM_DATA", str(tmp_path / "share" / "deskterm"))
    old = os.umask(0o022)
    try:
        _, path = AttachmentStore(data_dir() / "attachments").put(b"%PDF invoice")
    finally:
        os.umask(old)

    assert mode(path) == 0o600
    for folder in (path.parent, path.parent.parent, data_dir(), tmp_path / "share"):
        assert mode(folder) == 0o700, folder


def test_account_add_takes_the_password_from_the_environment(tmp_path, monkeypatch):
    from deskterm import secrets

    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))
    monkeypatch.setenv("DESKTERM_SECRET_SHOP_MAIL_PASSWORD", "from-env")
    args = ["--db", str(tmp_path / "d.db"), "account", "add", "email", "shop-mail"]
    args += ["--address", "help@shop.example", "--host", "imap.shop.example"]

    result = CliRunner().invoke(app, args, input="")

    assert result.exit_code == 0, result.output
    assert "DESKTERM_SECRET_SHOP_MAIL_PASSWORD" in result.output
    assert not (tmp_path / "secrets.json").exists()  # nothing stored: the environment has it
    assert secrets.get_secret("shop-mail") == "from-env"
