"""Media attached to eBay messages, downloaded into the attachment store.

Media live at plain HTTPS addresses, so they are fetched without the account's token (it must
never reach a host that is not eBay's API). A file that cannot be fetched is listed with a
warning that names its address, so nothing is lost and the sync is not held up by it.
"""

from __future__ import annotations

import mimetypes

import httpx

from deskterm.connector import ConnectorError, TemporaryError
from deskterm.domain import Attachment
from deskterm.store.attachments import AttachmentStore
from deskterm.sync import http

from .api import checked

# eBay's media types, for files whose address and headers say nothing better.
TYPES = {"IMAGE": "image/jpeg", "PDF": "application/pdf", "DOC": "application/msword"}
TYPES["TXT"] = "text/plain"
MAX_BYTES = 25 * 1024 * 1024


def _content_type(media: dict, header: str) -> str:
    if header and not header.startswith("application/octet-stream"):
        return header.split(";")[0].strip()
    guessed = mimetypes.guess_type(media.get("mediaName", ""))[0]
    return guessed or TYPES.get(media.get("mediaType", ""), "application/octet-stream")


def _download(client: httpx.Client, url: str, what: str) -> tuple[bytes | None, str]:
    """The file's bytes (None when larger than MAX_BYTES, read no further) and its type header."""
    try:
        with client.stream("GET", url) as response:
            if not response.is_success:
                response.read()
                checked(response, what)
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_BYTES:
                    return None, ""
            return bytes(data), response.headers.get("content-type", "")
    except httpx.TimeoutException as exc:
        raise TemporaryError(f"{what}: no answer ({exc})") from None
    except httpx.TransportError as exc:
        raise TemporaryError(f"{what}: {http.clean(str(exc))}") from None


def fetch(
    client: httpx.Client, store: AttachmentStore, media: dict, account: str
) -> tuple[Attachment, str | None]:
    """The stored attachment, or the listing of one that could not be fetched and why."""
    name = http.clean(media.get("mediaName") or "attachment")
    url = media.get("mediaUrl", "")
    what = f"eBay account {account}: download {name}"
    try:
        data, header = _download(client, url, what)
    except ConnectorError as exc:
        problem = str(exc)
    except httpx.InvalidURL as exc:
        problem = f"{what}: {exc}"
    else:
        if data is not None:
            digest, path = store.put(data)
            kind = _content_type(media, header)
            return Attachment(name, kind, len(data), digest, str(path)), None
        problem = f"{what}: larger than {MAX_BYTES // 1024 // 1024} MB"
    return Attachment(name, _content_type(media, ""), 0), f"{problem} ({http.clean(url)})"
