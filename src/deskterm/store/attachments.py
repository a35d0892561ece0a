"""Attachment files on disk, named by content hash, so a part stored twice takes space once."""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path

from deskterm.domain import Attachment


class AttachmentError(OSError):
    """A file to attach cannot be read; the message names it."""


def data_dir(settings: dict | None = None) -> Path:
    """Where deskterm keeps files: the `data_dir` setting, $DESKTERM_DATA, or the platform's."""
    configured = (settings or {}).get("data_dir") or os.environ.get("DESKTERM_DATA")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("deskterm"))


def private_dirs(path: Path) -> None:
    """Create `path` and any missing parents readable by the owner only (mkdir's mode covers the
    last folder alone); folders that exist keep their mode."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)


class AttachmentStore:
    """Content-addressed files under `root` (root/ab/abcdef...)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, digest: str) -> Path:
        """Where the file with this SHA-256 is, or would be, kept."""
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> tuple[str, Path]:
        """Store `data` unless a file with the same hash is already there; (sha256, path)."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_of(digest)
        if not path.exists():
            private_dirs(path.parent)
            # Write aside and rename, so a crash never leaves a truncated file under a good name.
            tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        return digest, path


def attach_file(source: Path, store: AttachmentStore | None = None) -> Attachment:
    """Copy a file an agent attaches into the store, so the queued reply keeps it until it leaves."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise AttachmentError(f"cannot attach {source}: {exc.strerror or exc}") from None
    store = store or AttachmentStore(data_dir() / "attachments")
    digest, path = store.put(data)
    content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    return Attachment(source.name, content_type, len(data), digest, str(path))
