"""Media attached to eBay messages, downloaded into the attachment store.

Media live at plain HTTPS addresses, so they are fetched without the account's token (it must
never reach a host that is not eBay's API). A file that cannot be fetched is listed with a
warning that names its address, so nothing is lost and the sync is not held up by it.
"""

from __future__ import annotations

import mimetypes

import httpx

from deskterm.connector import ConnectorError
from deskterm.domain import Attachment
from deskterm.store.attachments import AttachmentStore
from deskterm.sync import http

from .api import checked, exchange

# eBay's media types, for files whose address and headers say nothing better.
TYPES = {"IMAGE": "image/jpeg", "PDF": "application/pdf", "DOC": "application/msword"}
TYPES["TXT"] = "text/plain"
MAX_BYTES = 25 * 1024 * 1024


def _content_type(media: dict, response: httpx.Response | None) -> str:
    header = response.headers.get("content-type", "") if response is not None else ""
    if header and not header.startswith("application/octet-stream"):
        return header.split(";")[0].strip()
    guessed = mimetypes.guess_type(media.get("mediaName", ""))[0]
    return guessed or TYPES.get(media.get("mediaType", ""), "application/octet-stream")


def fetch(
    client: httpx.Client, store: AttachmentStore, media: dict, account: str
) -> tuple[Attachment, str | None]:
    """The stored attachment, or the listing of one that could not be fetched and why."""
    name = http.clean(media.get("mediaName") or "attachment")
    url = media.get("mediaUrl", "")
    what = f"eBay account {account}: download {name}"
    try:
        response = checked(exchange(client, "GET", url, what=what), what)
    except ConnectorError as exc:
        problem = str(exc)
    except httpx.InvalidURL as exc:
        problem = f"{what}: {exc}"
    else:
        data = response.content
        if len(data) <= MAX_BYTES:
            digest, path = store.put(data)
            return Attachment(
                name, _content_type(media, response), len(data), digest, str(path)
            ), None
        problem = f"{what}: larger than {MAX_BYTES // 1024 // 1024} MB"
    return Attachment(name, _content_type(media, None), 0), f"{problem} ({http.clean(url)})"
