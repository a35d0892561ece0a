"""Attachment files in a team (docs/team.md, "Attachment files"): the bytes travel through the
server, each file once by its SHA-256, and every machine keeps them in its own attachment store.

A push uploads the files its events' messages and replies name before the events themselves, so
a replica that pulls an event can always fetch its files. A pull fetches the files the pulled
events name that this machine lacks, before folding them in; each attachment then names the
file where this machine keeps it. Paths never travel: they are each machine's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskterm.store.attachments import AttachmentStore, data_dir
from deskterm.team import server

if TYPE_CHECKING:
    import psycopg


def local_store() -> AttachmentStore:
    """Where this machine keeps the team's files: its data folder's attachment store."""
    return AttachmentStore(data_dir() / "attachments")


def _listed(events: list[dict]) -> Iterator[dict]:
    """Every attachment the messages and replies that `events` carry name."""
    for event in events:
        data = event["data"]
        message = data.get("message_row")
        if isinstance(message, dict):
            yield from json.loads(message.get("attachments") or "[]")
        item = data.get("outbox_row")
        if isinstance(item, dict):
            yield from item["payload"].get("attachments") or ()


def _each_list(data: dict, change: Callable[[list[dict]], list[dict]]) -> dict:
    """`data` (an event's) with `change` made to the attachments of the message and the reply it
    carries; the same dict when it carries none."""
    message, item = data.get("message_row"), data.get("outbox_row")
    listed = isinstance(message, dict) and message.get("attachments") not in (None, "", "[]")
    queued = isinstance(item, dict) and bool(item["payload"].get("attachments"))
    if not (listed or queued):
        return data
    data = dict(data)
    if isinstance(message, dict) and listed:
        files = change(json.loads(message["attachments"]))
        data["message_row"] = {**message, "attachments": json.dumps(files)}
    if isinstance(item, dict) and queued:
        payload = item["payload"]
        data["outbox_row"] = {
            **item,
            "payload": {**payload, "attachments": change(payload["attachments"])},
        }
    return data


def without_paths(data: dict) -> dict:
    """An event's data as it goes to the server: where this machine keeps each file stays here."""
    return _each_list(data, lambda found: [{**a, "path": None} for a in found])


def localized(data: dict, files: AttachmentStore) -> dict:
    """A pulled event's data with each attachment naming the file where this machine keeps it
    (no path: a file it has not, as for a part too big to be stored)."""

    def here(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**a, "path": _kept(a.get("sha256"), files)} for a in found]

    return _each_list(data, here)


def _kept(digest: str | None, files: AttachmentStore) -> str | None:
    path = files.path_of(digest) if digest else None
    return str(path) if path is not None and path.is_file() else None


def upload(conn: psycopg.Connection, wires: list[dict]) -> int:
    """Put on the server the files `wires` (events about to be pushed) name that it lacks, from
    where this machine keeps them; how many went up."""
    paths = {a["sha256"]: a.get("path") for a in _listed(wires) if a.get("sha256")}
    sent = 0
    for digest in server.files_missing(conn, sorted(paths)):
        path = paths[digest]
        if path and Path(path).is_file():
            server.put_file(conn, digest, Path(path).read_bytes())
            sent += 1
    return sent


def download(conn: psycopg.Connection, events: list[dict], files: AttachmentStore) -> int:
    """Fetch from the server the files pulled `events` name that this machine lacks; how many."""
    wanted = sorted({a["sha256"] for a in _listed(events) if a.get("sha256")})
    missing = [d for d in wanted if not files.path_of(d).is_file()]
    fetched = 0
    for digest, data in server.files(conn, missing):
        stored, _ = files.put(data)
        fetched += stored == digest
    return fetched
