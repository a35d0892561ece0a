"""The mailbox following the desk: flag read mail \\Seen and move solved mail to an archive folder.

Each change names where pull found its message (the raw_path "imap:FOLDER;UIDVALIDITY=V/;UID=U",
RFC 5092 style); a renumbered folder is searched by Message-ID instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from deskterm.connector import PermanentError
from deskterm.domain import MailboxChange

from .imap import NoSuchFolder, Session

SEEN = MailboxChange.SEEN
_LOCATION = re.compile(r"imap:(?P<folder>.+);UIDVALIDITY=(?P<validity>\d+)/;UID=(?P<uid>\d+)")

# A change, with the UIDVALIDITY and UID of its message as pull found it.
Located = tuple[MailboxChange, int, int]


def apply_changes(session: Session, changes: list[MailboxChange]) -> Iterator[int]:
    """Flag read mail \\Seen (`mark_seen`) and move solved mail to `archive_folder`.

    Archived mail is flagged \\Seen first when `mark_seen` is on. A change this account no
    longer wants, or whose message is not on the server (imported from a file, expunged, or
    already in the archive), counts as applied.
    """
    archive = session.settings.get("archive_folder") or None
    mark_seen = bool(session.settings.get("mark_seen"))
    by_folder: dict[str, list[Located]] = {}
    for change in changes:
        found = _LOCATION.fullmatch(change.location or "")
        wanted = mark_seen if change.change == SEEN else archive is not None
        if found is None or not wanted or found["folder"] == archive:
            yield change.change_id
            continue
        where = (change, int(found["validity"]), int(found["uid"]))
        by_folder.setdefault(found["folder"], []).append(where)
    for folder, items in by_folder.items():
        yield from _apply_in(session, folder, items, archive, mark_seen)


def _apply_in(
    session: Session,
    folder: str,
    items: list[Located],
    archive: str | None,
    mark_seen: bool,
) -> Iterator[int]:
    client = session.client()
    try:
        info = session.select_writable(client, folder, names_folder=True)
    except NoSuchFolder:
        yield from (change.change_id for change, _, _ in items)  # the folder is gone
        return
    try:
        located = _locate(session, client, folder, items, info[b"UIDVALIDITY"])
        yield from (c.change_id for c, _, _ in items if c.change_id not in located)
        seen = [c for c, _, _ in items if c.change_id in located and c.change == SEEN]
        moved = [c for c, _, _ in items if c.change_id in located and c.change != SEEN]
        flagged = seen + (moved if mark_seen else [])
        if flagged:
            uids = sorted({located[c.change_id] for c in flagged})
            session.guard("STORE", client.add_flags, uids, [b"\\Seen"], True)
        yield from (c.change_id for c in seen)
        if moved and archive is not None:
            _move(session, client, sorted({located[c.change_id] for c in moved}), archive)
            yield from (c.change_id for c in moved)
    finally:
        session.leave(client)


def _locate(
    session: Session, client, folder: str, items: list[Located], validity: int
) -> dict[int, int]:
    """Change id -> UID now, for the changes whose message is still in the selected folder."""
    located: dict[int, int] = {}
    for change, was_validity, uid in items:
        if was_validity == validity:
            located[change.change_id] = uid
        elif change.message_id:  # the folder was renumbered: find it by Message-ID
            found = session.search_message_id(client, folder, change.message_id)
            if found:
                located[change.change_id] = found[0]
    return located


def _move(session: Session, client, uids: list[int], folder: str) -> None:
    def move() -> None:
        if client.has_capability("MOVE"):
            client.move(uids, folder)
        elif client.has_capability("UIDPLUS"):
            client.copy(uids, folder)
            client.delete_messages(uids, True)
            client.uid_expunge(uids)  # only these, not the user's own deleted mail
        else:
            raise PermanentError(
                f"{session.host} offers neither MOVE nor UIDPLUS, so archiving "
                f"would expunge other deleted mail; unset archive_folder of account "
                f"{session.account.name!r}"
            )

    try:
        session.guard(f"MOVE to {folder}", move, names_folder=True)
    except NoSuchFolder as exc:
        raise PermanentError(
            f"archive folder {folder!r} does not exist on {session.host}; "
            f"create it or fix archive_folder of account {session.account.name!r}"
        ) from exc
