"""The account's own mailbox follows what any agent of the team does: the worker that runs the
account flags answered and read mail seen and moves solved mail to the archive, whoever answered or
solved it, against Dovecot and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from deskterm import actions, mailbox
from deskterm.store import Store
from deskterm.team import replica
from deskterm.team.worker import Worker

from .conftest import SmtpSink, mail
from .postgres import Postgres
from .servers import Dovecot
from .teams import Team, state
from .test_email_mailbox import by_message_id, ticket_of

pytestmark = pytest.mark.integration


def test_mail_another_agent_answered_read_or_solved_is_flagged_and_archived_by_the_worker(
    postgres: Postgres,
    tmp_path: Path,
    store: Store,
    dovecot: Dovecot,
    mail_account: Callable,
    smtp_server: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = mail_account(smtp_server, mark_seen=True, archive_folder="Archive")
    client = dovecot.client(account.settings["username"])
    client.create_folder("Archive")
    for name in ("answered", "solved", "read", "untouched"):
        client.append("INBOX", mail(name, sender=f"{name}@example.net", message_id=f"<{name}@x>"))
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    first = Worker(store)
    assert sum(report.pulled for report in first.run_once()) == 4
    first.close()  # the machine that pulled the mail goes away
    # anna's second machine runs the account from now on: it knows where each mail lies in the
    # mailbox from the team, as it does the account (its files go in its own data folder).
    monkeypatch.setenv("DESKTERM_DATA", str(tmp_path / "anna2"))
    second_store = team.replica("anna2")
    replica.join(second_store, team.url("anna"), "anna")
    ben = team.join("ben")
    actions.reply(ben, ticket_of(ben, "<answered@x>"), "On its way.", actor="agent:ben")
    actions.resolve(ben, ticket_of(ben, "<solved@x>"), actor="agent:ben")
    team.sync(ben)
    # anna only reads one on her first machine: reading is no event, but the team hears of it.
    assert mailbox.mark_read(store, ticket_of(store, "<read@x>")) == 1
    assert mailbox.mark_read(store, ticket_of(store, "<read@x>")) == 0  # a second glance
    team.sync(store)
    second = Worker(second_store)
    try:
        assert sum(report.pulled for report in second.run_once()) == 0
    finally:
        second.close()
    inbox, archive = by_message_id(client, "INBOX"), by_message_id(client, "Archive")
    assert set(inbox) == {"<answered@x>", "<read@x>", "<untouched@x>"}
    assert b"\\Seen" in inbox["<answered@x>"] and b"\\Seen" not in inbox["<untouched@x>"]
    assert b"\\Seen" in inbox["<read@x>"]
    assert set(archive) == {"<solved@x>"}
    assert len(smtp_server.received) == 1  # ben's answer left, once
    for replica_store in (store, ben):
        team.sync(replica_store)
    assert state(ben) == state(store) == state(second_store)
    read = [(name, message_id) for name, message_id, _ in state(ben).shared["read"]]
    assert read == [(account.name, "<answered@x>"), (account.name, "<read@x>")]
    assert mailbox.mark_read(ben, ticket_of(ben, "<read@x>")) == 0  # read for ben too
    # A machine that joins now folds ben's reply before it holds the account: it catches up.
    monkeypatch.setenv("DESKTERM_DATA", str(tmp_path / "anna3"))
    third = team.replica("anna3")
    replica.join(third, team.url("anna"), "anna")
    assert state(third) == state(ben)
    third.close()
    ben.close()
    second_store.close()
