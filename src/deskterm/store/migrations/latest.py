"""The newest migrations (V24 on): the bulk change's batches, the drafts' Cc and files.

New migrations are appended here, with the next version number."""

from __future__ import annotations

# A bulk change (deskterm.actions.bulk) marks its events with {"batch": id}: undo finds them all.
V24_EVENT_BATCHES = """
CREATE INDEX events_batch ON events(json_extract(data, '$.batch'))
  WHERE json_extract(data, '$.batch') IS NOT NULL;
"""

# A reply's draft keeps its Cc addresses (comma-separated) and attached files (JSON list of
# domain.Attachment) with its text, so they outlive leaving the ticket or a restart.
V25_DRAFT_CC_FILES = """
ALTER TABLE drafts ADD COLUMN cc TEXT NOT NULL DEFAULT '';
ALTER TABLE drafts ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
"""

SCRIPTS: list[tuple[int, str]] = [
    (24, V24_EVENT_BATCHES),
    (25, V25_DRAFT_CC_FILES),
]
