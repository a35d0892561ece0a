"""Text from outside (customers, servers) made safe to print on a terminal.

Its own module, apart from deskterm.content, so the command line can clean what it prints without
importing the email package (about 20 ms).
"""

from __future__ import annotations

import re

# Terminal escape sequences first (so their parameters go with them), then lone controls.
# CSI and its 8-bit form; OSC/DCS/SOS/PM/APC strings up to BEL or ST; any other ESC sequence.
# An unterminated string loses only its introducer: customer text after it stays visible.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]?"
)
# C0 except tab and newline, DEL, C1, and the bidi overrides that can make text (or a link) read
# differently from what it is ("Trojan Source").
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def sanitize(text: str) -> str:
    """Strip terminal escape sequences and C0/C1 controls, keeping newlines and tabs."""
    if not _CONTROLS.search(text):
        return text
    text = text.replace("\r\n", "\n")
    text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text)
