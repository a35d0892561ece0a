"""The fast MIME reader builds exactly the Message the stdlib's compat32 parser builds, or declines.

Declining is always safe (the stdlib parser then runs); a different result would change what an
agent sees. Each test compares every attribute of every part, recursively, with the stdlib's.
"""

from __future__ import annotations

import email
import email.policy
import random
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.connectors.email.parse import _boundary, _fast_parse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


def _state(msg: Message) -> dict:
    """Everything a Message holds, parts included; defects by class and arguments."""
    state = {}
    for key, value in vars(msg).items():
        if key == "_payload" and isinstance(value, list):
            value = [_state(part) for part in value]
        elif key == "defects":
            value = [(type(defect).__name__, defect.args) for defect in value]
        state[key] = value
    return state


def _stdlib(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _same_as_stdlib_or_declined(raw: bytes) -> bool:
    """True when the fast reader took the message (and then it must match the stdlib)."""
    fast = _fast_parse(raw)
    if fast is None:
        return False
    stdlib = _stdlib(raw)
    assert _state(fast) == _state(stdlib)
    assert fast.as_bytes() == stdlib.as_bytes()
    return True


ALTERNATIVE = (
    b"From: a@example.net\nSubject: s\n"
    b'Content-Type: multipart/alternative; boundary="alt"\n\n'
    b'--alt\nContent-Type: text/plain; charset="utf-8"\n\nHello\nthere\n'
    b'--alt\nContent-Type: text/html; charset="utf-8"\n\n<p>Hello</p>\n--alt--\n'
)
NESTED = (FIXTURES / "nested.eml").read_bytes().split(b"--m1\r\nContent-Type: message/rfc822")[0]
NESTED += b"--m1--\r\n"

WELL_FORMED = [
    ALTERNATIVE,
    ALTERNATIVE.replace(b"\n", b"\r\n"),
    NESTED,
    NESTED.replace(b"\r\n", b"\n"),
    ALTERNATIVE.replace(b"\n\n--alt\n", b"\n\nThis is a MIME message.\n\n--alt\n", 1),
    ALTERNATIVE + b"\nepilogue\r\nlines",
    ALTERNATIVE[:-1],
    ALTERNATIVE.replace(b"--alt\nContent-Type: text/html", b"--alt  \t\n\nno headers"),
    ALTERNATIVE.replace(b"--alt--\n", b"--alt--\t \n"),
    ALTERNATIVE.replace(b"<p>Hello</p>\n", b""),
    ALTERNATIVE.replace(b"Hello\nthere\n", b"--alt-not-a-boundary\n--altx\n -- alt\n"),
    ALTERNATIVE.replace(b"Hello", b"Gr\xc3\xbc\xc3\x9fe \xff"),
    ALTERNATIVE.replace(b'boundary="alt"', b"boundary=alt;\n charset=x").replace(
        b"Subject: s", b"Subject: =?utf-8?q?caf=C3=A9?=\n  folded"
    ),
    ALTERNATIVE.replace(b"multipart/alternative", b"Multipart/Mixed"),
    ALTERNATIVE.replace(b"From: a", b"Content-Transfer-Encoding: 7BIT\nFrom: a"),
    ALTERNATIVE.replace(b"Hello\nthere\n", b"\n\n\n"),
    ALTERNATIVE.replace(b'"alt"', b'"a.b+c(d)?*"').replace(b"--alt", b"--a.b+c(d)?*"),
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\n\n--x--",
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\nX: y\n\n\n--x--\n\n",
    b"Content-Type: Multipart/Mixed; boundary=x\n\n--x\n\npart\n--x--\n",
]

DECLINED = [
    ALTERNATIVE.replace(b"--alt--\n", b""),  # no closing boundary
    ALTERNATIVE.replace(b"--alt--\n", b"--alt--x\n"),  # no closing boundary either
    ALTERNATIVE.replace(b'boundary="alt"', b""),  # multipart without a boundary
    ALTERNATIVE.replace(b"\n--alt\nContent-Type: text/plain", b"\n--alt--\n--alt\nX: y"),
    ALTERNATIVE.replace(b"--alt\n", b"--alt\n--alt\n", 1),  # doubled boundary line
    ALTERNATIVE.replace(b"there\n", b"there\r"),  # a lone CR ends a line for the stdlib
    ALTERNATIVE.replace(b"\n\n<p>", b"\nnot a header\n\n<p>"),
    ALTERNATIVE.replace(b"\n\n<p>", b"\n<p>"),  # part headers run into its body
    ALTERNATIVE.replace(b"--alt\nContent-Type: text/html", b"--alt\n folded: first line"),
    ALTERNATIVE.replace(b"text/html", b"message/rfc822"),
    ALTERNATIVE.replace(b"multipart/alternative", b"multipart/digest"),
    ALTERNATIVE.replace(b"From: a", b"Content-Transfer-Encoding: base64\nFrom: a"),
    ALTERNATIVE.replace(b"From: a", b"From a"),
    (FIXTURES / "nested.eml").read_bytes(),  # forwards a message/rfc822
    (FIXTURES / "broken_boundary.eml").read_bytes(),
]


@pytest.mark.parametrize("raw", WELL_FORMED)
def test_well_formed_multipart_mail_is_read_fast_and_exactly_as_the_stdlib_reads_it(raw):
    assert _same_as_stdlib_or_declined(raw)


@pytest.mark.parametrize("raw", DECLINED)
def test_mail_with_defects_or_unusual_structure_is_left_to_the_stdlib_parser(raw):
    assert _fast_parse(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        *(p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))),
        b"Subject: plain\r\nX-Long: one\r\n two\r\n\tthree\r\n\r\nbody\r\n\r\nmore",
        b"Subject: no body\n\n",
        b"Subject: \xc3\xa9t\xc3\xa9\n\nraw 8-bit \xff\n",
        b"\r\nNot: a header\r\n\r\nbody",
        b"From sender@example.net Sat Nov 21 2026\nSubject: mbox\n\nbody",
        b" Folded: first\n\nbody",
        b":no name\n\nbody",
        b"Subject: lone\rCR\n\nbody",
        b"Subject: headers only",
        b"Content-Type: text/plain\n\nlone\rCR in a single part body\r\n",
    ],
)
def test_single_part_and_odd_mail_reads_as_the_stdlib_reads_it(raw):
    _same_as_stdlib_or_declined(raw)


# Lines that sit near the edge of what a boundary, a header or a blank line is.
_LINES = [
    "--b",
    "--b--",
    "--b \t",
    "--b-- ",
    "--bx",
    "--b--x",
    "-- b",
    "--c",
    "--c--",
    "",
    " ",
    "text",
    "caf\xe9",
    "Content-Type: text/plain",
    "Content-Type: text/html; charset=utf-8",
    "Content-Type: multipart/alternative; boundary=c",
    "Content-Type: multipart/mixed; boundary=b",
    "Content-Type: multipart/alternative",
    "Content-Type: message/rfc822",
    "Content-Transfer-Encoding: base64",
    "X: y",
    " folded",
    "From x",
    ":no name",
    "a\rb",
]
_TOP = [
    "Content-Type: multipart/mixed; boundary=b",
    'Content-Type: multipart/alternative; boundary="b"',
    "Content-Type: MULTIPART/related;\n boundary=b ",
    "Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: 8BIT",
    "Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: quoted-printable",
    "Content-Type: text/plain",
]


def _skeleton(rng: random.Random) -> list[str]:
    """The lines of a multipart body: mostly well formed, so the fast reader gets to answer."""
    lines = rng.choices(["preamble", ""], k=rng.randint(0, 2))
    for _ in range(rng.randint(0, 3)):
        lines.append(rng.choice(["--b", "--b ", "--b\t"]))
        if rng.random() < 0.8:
            lines += rng.choices(
                ["Content-Type: text/plain", "X: y", " folded"], k=rng.randint(0, 2)
            )
            lines.append("")
        if rng.random() < 0.3:
            lines[-1:] = ["Content-Type: multipart/alternative; boundary=c", ""]
            lines += ["--c", "", "inner", "--c", "Content-Type: text/html", "", "<p>", "--c--"]
            lines += rng.choices(["", "epilogue", "--c"], k=rng.randint(0, 2))
        lines += rng.choices(["body", "", "--bx", "--b--x"], k=rng.randint(0, 3))
    lines.append(rng.choice(["--b--", "--b-- ", "--b--x"]))
    return lines + rng.choices(["epilogue", "", "--b", "--b--"], k=rng.randint(0, 2))


def _message(rng: random.Random) -> bytes:
    lines = _skeleton(rng)
    for _ in range(rng.randint(0, 3)):
        lines.insert(rng.randint(0, len(lines)), rng.choice(_LINES))
    head = ["From: a@example.net", rng.choice(_TOP)]
    ends = rng.choice([["\n"], ["\r\n"], ["\n", "\r\n"]])
    text = "".join(line + rng.choice(ends) for line in [*head, "", *lines])
    if rng.random() < 0.3:
        text = text.rstrip("\r\n")
    return text.encode(rng.choice(["utf-8", "latin-1"]))


def test_thousands_of_generated_nasty_messages_read_as_the_stdlib_reads_them():
    rng = random.Random(20261122)
    taken = sum(_same_as_stdlib_or_declined(_message(rng)) for _ in range(3000))
    assert taken > 500  # most are broken on purpose, but the fast reader must still answer some


_MUTATIONS = [b"\n", b"\r\n", b"\r", b"--", b" ", b"\n\n", b"\n--alt\n", b"\n--alt--\n", b"\xff"]


def test_damaged_copies_of_real_shaped_mail_read_as_the_stdlib_reads_them():
    rng = random.Random(7)
    seeds = [ALTERNATIVE, NESTED, ALTERNATIVE.replace(b"\n", b"\r\n")]
    taken = 0
    for _ in range(3000):
        raw = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(raw))
            if rng.random() < 0.6:
                raw[at:at] = rng.choice(_MUTATIONS)
            else:
                del raw[at : at + rng.randint(1, 6)]
        taken += _same_as_stdlib_or_declined(bytes(raw))
    assert taken > 500


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    top=st.sampled_from(_TOP),
    lines=st.lists(st.sampled_from(_LINES), max_size=30),
    crlf=st.booleans(),
    tail=st.sampled_from(["", "\n", "\r\n"]),
)
def test_any_arrangement_of_boundary_header_and_blank_lines_reads_as_the_stdlib_reads_it(
    top, lines, crlf, tail
):
    end = "\r\n" if crlf else "\n"
    text = end.join(["From: a@example.net", top, "", *lines]) + tail
    _same_as_stdlib_or_declined(text.encode("utf-8"))


@pytest.mark.parametrize(
    "value",
    [
        'multipart/alternative; boundary="alt"',
        "multipart/mixed; boundary=----=_Part_12_34.56",
        'Multipart/Related;\r\n\tBOUNDARY = "_004_AM0PR(x)+y,z/?:="',
        "multipart/mixed;boundary=a ",
        'multipart/mixed; boundary="a b"',
        'multipart/mixed; boundary="a\\"b"',
        'multipart/mixed; boundary="a\\\\b"',
        "multipart/mixed; boundary=a\\b",
        'multipart/mixed; boundary="x"; boundary="y"',
        'multipart/mixed; type="text/html"; boundary="x"',
        "multipart/mixed; boundary*=utf-8''x%41",
        "multipart/mixed; boundary*0=x; boundary*1=y",
        'multipart/mixed; boundary="x";',
        "multipart/mixed; boundary=<x>",
        "multipart/mixed; boundary='x'",
        'multipart/mixed; boundary="x',
        "multipart/mixed; boundary=",
        "multipart/mixed",
        "multipart/mixed; boundary=caf\udce9",
    ],
)
def test_the_boundary_parameter_is_read_as_the_stdlib_reads_it(value):
    raw = f"Content-Type: {value}\n\n".encode("utf-8", "surrogateescape")
    msg = _stdlib(raw)
    assert _boundary(msg) == msg.get_boundary()


_CONTENT_TYPE_PIECES = [
    *("multipart/mixed", ";", " ", "\r\n\t", "boundary", "BoundarY", "=", '"', "x", "'", "*"),
    *("a=b", "\\", "<", ">", "-", "=_", "?", "\xe9", "charset"),
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_CONTENT_TYPE_PIECES), max_size=12))
def test_any_content_type_gives_the_stdlib_boundary(pieces):
    raw = ("Content-Type: multipart/mixed" + "".join(pieces) + "\n\n").encode()
    msg = _stdlib(raw)
    assert _boundary(msg) == msg.get_boundary()
