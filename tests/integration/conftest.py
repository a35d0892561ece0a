"""Real servers on loopback for the email tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Dovecot runs from a throw-away config in a temp folder: passwd-file users with plain passwords,
Maildir storage, no TLS, logs to a file. One server per test session (and per xdist worker);
each test gets its own mailbox user, so tests never see each other's mail.
"""

from __future__ import annotations

import getpass
import grp
import itertools
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    if os.geteuid() == 0:
        # Dovecot's unprivileged processes must reach the files; pytest's temp root is 0700.
        root = Path(tempfile.mkdtemp(prefix="deskterm-dovecot-"))
        root.chmod(0o755)
    else:
        root = tmp_path_factory.mktemp("dovecot")
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
        if os.geteuid() == 0:
            shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmtpSink:
    port: int
    received: list = field(default_factory=list)

    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def mail(
    subject: str,
    *,
    sender: str = "Ann Buyer <ann@example.net>",
    to: str = "support@shop.example",
    body: str = "Where is my parcel?",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    extra: str = "",
) -> bytes:
    """A small RFC 5322 message as a mail client would send it."""
    head = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Thu, 20 Nov 2026 10:00:00 +0000\r\n"
    if message_id:
        head += f"Message-ID: {message_id}\r\n"
    if in_reply_to:
        head += f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
    body = body.replace("\n", "\r\n")
    mime = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    return f"{head}{extra}{mime}\r\n{body}\r\n".encode()


@pytest.fixture
def mail_account(dovecot, tmp_path, monkeypatch, store):
    """A fresh Dovecot user and a deskterm email account for it (in the store too)."""
    from deskterm.connector import Account
    from deskterm.secrets import env_name

    def make(smtp: SmtpSink | None = None, **settings) -> Account:
        user = dovecot.add_user()
        name = f"mail-{user}"
        monkeypatch.setenv(env_name(name), PASSWORD)
        config = {
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": "none",
            "username": user,
            "folders": ["INBOX"],
            "sent_folder": "Sent",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port if smtp else free_port(),
            "smtp_security": "none",
            "smtp_auth": False,
            "data_dir": str(tmp_path / "data"),
            **settings,
        }
        account = Account(name, "email", "email", "support@shop.example", config)
        with store.tx() as conn:
            conn.execute(
                "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
                " VALUES (?, 'email', 'email', ?, ?, '2026-11-20T00:00:00Z')",
                (name, account.address, json.dumps(config)),
            )
        return account

    return make
