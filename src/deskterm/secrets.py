"""Account secrets (passwords, tokens) in the system keyring; never in SQLite, config or logs.

Lookup order for a secret `key` of `account`:

1. the environment variable ``DESKTERM_SECRET_<ACCOUNT>_<KEY>`` (upper case, other characters as
   ``_``), for CI and containers that inject secrets;
2. the system keyring (service ``deskterm``, user ``<account>:<key>``);
3. on headless machines without a keyring backend, a JSON file readable by its owner only:
   ``$DESKTERM_SECRETS_FILE`` or ``<user data dir>/secrets.json``. deskterm refuses a file that
   group or others can read, as ssh does with keys.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVICE = "deskterm"


class SecretError(Exception):
    """A secret cannot be stored or read; the message says where and how to fix it."""


def env_name(account: str, key: str = "password") -> str:
    """The environment variable that overrides one secret."""
    return "DESKTERM_SECRET_" + re.sub(r"[^A-Z0-9]", "_", f"{account}_{key}".upper())


def secrets_file() -> Path:
    env = os.environ.get("DESKTERM_SECRETS_FILE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("deskterm")) / "secrets.json"


def _keyring():
    """The keyring module when a real backend is available, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


def _read_file(path: Path) -> dict[str, str]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(
            f"{path} is readable by other users; run `chmod 600 {path}` and try again"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise SecretError(f"cannot read secrets file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SecretError(f"secrets file {path} must hold a JSON object")
    return data


def _write_file(path: Path, data: dict[str, str]) -> None:
    """Replace the file at once, through a temporary file of this writer's own."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")  # owner-only (0600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _changing_file(path: Path) -> Iterator[dict[str, str]]:
    """The secrets file's contents, written back if the block changed them; one process or
    thread at a time (a lock on a file beside it, where the system has such locks), so two
    writers at once neither lose each other's secret nor mix their bytes."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = os.open(path.with_name(path.name + ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if os.name == "posix":
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        data = _read_file(path)
        before = dict(data)
        yield data
        if data != before:
            _write_file(path, data)
    finally:
        os.close(lock)  # and the lock with it


def _slot(account: str, key: str) -> str:
    return f"{account}:{key}"


def get_secret(account: str, key: str = "password") -> str | None:
    """The stored secret, or None when there is none."""
    value = os.environ.get(env_name(account, key))
    if value:
        return value
    keyring = _keyring()
    if keyring is not None:
        try:
            value = keyring.get_password(SERVICE, _slot(account, key))
        except Exception as exc:  # keyring backends raise their own types (locked, dbus down)
            raise SecretError(
                f"the system keyring refused to read {account}'s {key}: {exc}"
            ) from exc
        if value is not None:
            return value
    return _read_file(secrets_file()).get(_slot(account, key))


def set_secret(account: str, value: str, key: str = "password") -> str:
    """Store a secret; returns where it went ("keyring" or the file path) for the user to see."""
    if not value:
        raise SecretError("refusing to store an empty secret")
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.set_password(SERVICE, _slot(account, key), value)
            return "keyring"
        except Exception as exc:
            raise SecretError(
                f"the system keyring refused to store {account}'s {key}: {exc}"
            ) from exc
    path = secrets_file()
    with _changing_file(path) as data:
        data[_slot(account, key)] = value
    return str(path)


def delete_secret(account: str, key: str = "password") -> bool:
    """Forget a secret everywhere deskterm may have put it; True when something was removed."""
    removed = False
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.delete_password(SERVICE, _slot(account, key))
            removed = True
        except Exception:  # not there (PasswordDeleteError) or backend trouble: nothing to remove
            pass
    with _changing_file(secrets_file()) as data:
        if data.pop(_slot(account, key), None) is not None:
            removed = True
    return removed
