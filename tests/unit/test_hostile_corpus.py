"""The hostile-mail corpus (tests/fixtures/mail/hostile, see its README): imported like a Maildir,
every file is stored, nothing crashes, and every mail that carries text shows it."""

from __future__ import annotations

import mailbox
from pathlib import Path

from deskterm.connectors.email.importer import MAILDIR
from deskterm.imports import run_import

CORPUS = Path(__file__).parent.parent / "fixtures" / "mail" / "hostile"
# Mail with no text to show: no body, no parts, whitespace, only a binary part, or its one text
# part sent as a named attachment (kept as the attachment).
NO_TEXT = {
    "27-headers-only.eml",
    "52-empty-multipart.eml",
    "64-text-only-in-attachment.eml",
    "65-octet-stream-only.eml",
    "70-whitespace-body.eml",
}


def test_every_hostile_mail_is_stored_and_shows_its_text(store, tmp_path):
    files = sorted(CORPUS.glob("*.eml"))
    box = mailbox.Maildir(tmp_path / "Maildir")
    names = {box.add(path.read_bytes()): path.name for path in files}

    result = run_import(store, MAILDIR, tmp_path / "Maildir", account="shop", workers=0)

    assert len(files) >= 60
    assert result.added == len(files) == len(names)
    rows = store.conn.execute("SELECT raw_path, subject, text FROM messages").fetchall()
    assert len(rows) == len(files)
    text_of = {names[Path(raw_path).name.split(":")[0]]: text for raw_path, _, text in rows}
    assert not [s for _, s, _ in rows if s == "(unreadable message)"]
    assert [
        n for n in sorted(text_of) if n not in NO_TEXT and "parcel" not in text_of[n].lower()
    ] == []
    assert [n for n in sorted(NO_TEXT) if text_of[n].strip()] == []
