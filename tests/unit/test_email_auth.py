"""Where the email connector's credentials come from: secrets, or an XOAUTH2 token command."""

from __future__ import annotations

import sys

import pytest

from deskterm.connector import Account, PermanentError
from deskterm.connectors.email import auth
from deskterm.secrets import env_name


def account(**settings) -> Account:
    return Account("gmail", "email", "email", "shop@gmail.example", settings)


def test_password_comes_from_secrets(monkeypatch):
    monkeypatch.setenv(env_name("gmail"), "pw")
    assert auth.password(account()) == "pw"


def test_missing_password_says_how_to_provide_one(monkeypatch, tmp_path):
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "none.json"))
    monkeypatch.setattr("deskterm.secrets._keyring", lambda: None)
    with pytest.raises(PermanentError, match="DESKTERM_SECRET_GMAIL_PASSWORD"):
        auth.password(account())


def test_token_command_output_is_the_access_token_and_is_reused_until_expiry(tmp_path):
    counter = tmp_path / "runs"
    script = tmp_path / "token.py"
    script.write_text(
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        "print(f'ya29.token{n}')\n"
    )
    source = auth.TokenSource(account(token_command=f"{sys.executable} {script}"))
    assert source.token() == "ya29.token1"
    assert source.token() == "ya29.token1"
    assert counter.read_text() == "1"


def test_failing_token_command_is_a_permanent_error_with_its_message():
    script = "import sys; sys.stderr.write('not logged in'); sys.exit(3)"
    source = auth.TokenSource(account(token_command=f'{sys.executable} -c "{script}"'))
    with pytest.raises(PermanentError, match="not logged in"):
        source.token()


def test_xoauth2_string_has_the_sasl_layout():
    assert auth.xoauth2("a@b.c", "tok") == "user=a@b.c\x01auth=Bearer tok\x01\x01"
