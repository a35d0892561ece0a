"""Dovecot on loopback from a throw-away config, for the integration tests and bench/bench_imap.py.

passwd-file users with a plain password, Maildir storage, no TLS, logs to a file in the temp
folder. Runs as the current user, or, under root, with Dovecot's own unprivileged users.
"""

from __future__ import annotations

import getpass
import grp
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "secret-pw"
USERS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, log: Path, proc: subprocess.Popen, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {port}: {log.read_text()[-2000:]}")


@dataclass
class Dovecot:
    root: Path
    port: int
    uid: int
    gid: int
    _users: itertools.count = field(default_factory=lambda: itertools.count(1))

    def add_user(self) -> str:
        """A mailbox user nobody has used yet (all are written before Dovecot starts: it only
        notices passwd-file changes when the mtime second changes)."""
        n = next(self._users)
        if n > USERS:
            raise RuntimeError(f"more than {USERS} mailbox users in one session; raise USERS")
        return f"user{n}"

    def client(self, user: str):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(user, PASSWORD)
        return client


def _write_users(root: Path, uid: int, gid: int) -> None:
    lines = []
    for n in range(1, USERS + 1):
        home = root / "home" / f"user{n}"
        home.mkdir(parents=True)
        os.chown(home, uid, gid)
        lines.append(f"user{n}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}::\n")
    (root / "passwd").write_text("".join(lines))


def _config(root: Path, port: int, user: str, group: str, login_user: str) -> str:
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    auto = create
    special_use = \\Sent
  }}
}}
"""


@contextmanager
def running_dovecot(scratch: Path | None = None) -> Iterator[Dovecot]:
    """Start Dovecot on a free loopback port with USERS fresh users; stop it on exit."""
    if os.geteuid() == 0 or scratch is None:
        # Dovecot's unprivileged processes must reach the files; pytest's temp root is 0700.
        root = Path(tempfile.mkdtemp(prefix="deskterm-dovecot-"))
        root.chmod(0o755)
    else:
        root = scratch
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    if os.geteuid() == 0:
        # Dovecot refuses to run its internal and login processes as root, and mail as uid 0.
        internal = pwd.getpwnam("dovecot")
        mail_user = pwd.getpwnam("nobody")
        uid, gid = mail_user.pw_uid, mail_user.pw_gid
        user, group, login = "dovecot", grp.getgrgid(internal.pw_gid).gr_name, "dovenull"
    else:
        uid, gid = os.getuid(), os.getgid()
        user = login = getpass.getuser()
        group = grp.getgrgid(gid).gr_name
    _write_users(root, uid, gid)
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port, user, group, login))
    log = root / "dovecot.log"
    log.touch()
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=log.open("a")
    )
    try:
        _wait_for_port(port, log, proc)
        yield Dovecot(root, port, uid, gid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if root != scratch:
            shutil.rmtree(root, ignore_errors=True)
