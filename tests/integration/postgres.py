"""PostgreSQL on loopback from a throw-away cluster, for the team-mode tests.

initdb into a temp folder, `pg_ctl` on a free 127.0.0.1 port with the unix socket in the same
folder; password (SCRAM) logins over TCP, as agents sign in, and trust on the socket for the
fixture's own set-up. PostgreSQL refuses to run as root, so under root the cluster belongs to
`nobody` and its commands run through `runuser`.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .servers import free_port

ADMIN = "postgres"
ADMIN_PASSWORD = "admin-pw"


def postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<v>/bin."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


@dataclass
class Postgres:
    root: Path
    port: int
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    def dsn(self, database: str, user: str = ADMIN, password: str | None = None) -> str:
        """A postgresql:// URL without the password unless one is given."""
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def admin(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(
            host=str(self.root), port=self.port, user=ADMIN, dbname=database, autocommit=True
        )

    def new_database(self) -> str:
        name = f"desk{next(self._names)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def new_role(self, prefix: str, password: str = "pw", *, createrole: bool = False) -> str:
        """A login role nobody has used yet (roles belong to the whole cluster)."""
        name = f"{prefix}{next(self._names)}"
        extra = " CREATEROLE" if createrole else ""
        with self.admin() as conn:
            conn.execute(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'{extra}")
        return name


def _as_owner(args: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *args] if owner else args


@contextmanager
def running_postgres(bindir: Path, settings: dict[str, str] | None = None) -> Iterator[Postgres]:
    """Start a fresh cluster on a free loopback port, with these server `settings` on top of the
    defaults; stop and delete it on exit."""
    owner = "nobody" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="deskterm-pg-"))
    if owner:
        user = pwd.getpwnam(owner)
        os.chown(root, user.pw_uid, user.pw_gid)
    root.chmod(0o755)
    pwfile = root / "pw"
    pwfile.write_text(ADMIN_PASSWORD)
    data, log = root / "data", root / "postgres.log"
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "cwd": root}
    try:
        if owner:
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", ADMIN, "--pwfile", str(pwfile)]
        initdb += ["--auth-local=trust", "--auth-host=scram-sha-256", "--locale=C", "-E", "UTF8"]
        subprocess.run(_as_owner(initdb, owner), **run)
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
        start = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w"]
        subprocess.run(_as_owner([*start, "start"], owner), **run)
        try:
            yield Postgres(root, port)
        finally:
            stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            subprocess.run(_as_owner(stop, owner), capture_output=True, cwd=root)
    except subprocess.CalledProcessError as exc:
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(f"{exc.cmd[0]} failed: {exc.stderr}{tail}") from exc
    finally:
        shutil.rmtree(root, ignore_errors=True)
