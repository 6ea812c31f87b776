"""Shell variable assignments (``NAME='value'``), read as data, never run: the grammar of
OpenNebula's ``context.sh`` and of the context files other tools (Proxmox) write.

One assignment per statement: ``NAME=`` then a word made of single-quoted parts (taken
literally; OpenNebula writes a quote inside as ``'\\''``), double-quoted parts (``\\`` escapes
``\\ " $ ` `` and a line break) and bare characters (``\\`` escapes the next one). Comments
(``#`` where a word could start), blank lines, ``;`` between statements and a leading
``export`` are allowed. Anything that would make a shell compute a value (``$VAR``,
``$(...)``, backquotes, a bare ``~`` at the start of a value or after ``:``, a command instead
of an assignment) is refused with the line number:
wincloud never guesses what a shell would have done."""

from __future__ import annotations

import re
from typing import Final

from wincloud.errors import InvalidMetadata

MAX_VARIABLES: Final = 4096
MAX_ASSIGNMENTS: Final = 16 * 1024
"""Assignments in all, repeats included (OpenNebula writes a few dozen): a 4 MiB file of a
million ``A=''`` took seconds to read for one variable."""
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BLANK: Final = " \t"
_END: Final = " \t\r\n;"
_PLAIN_BARE: Final = re.compile(r"[^ \t\r\n;'\"\\$`(){}<>|&~:]+")
"""A run of characters that stand for themselves outside quotes (taken at once, not one by
one: a 4 MiB value took 3.5 s a character at a time)."""
_PLAIN_DOUBLE: Final = re.compile(r'[^"\\$`]+')
"""The same inside double quotes."""


class _Reader:
    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.pos = 0
        self.where = where

    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def fail(self, message: str) -> InvalidMetadata:
        return InvalidMetadata(f"{message} (line {self.line()})", subject=self.where)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_separators(self) -> None:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in _END:
                self.pos += 1
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def name(self) -> str:
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise self.fail("expected NAME=value")
        self.pos = match.end()
        return match.group()

    def single(self) -> str:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise self.fail("unterminated single quote")
        value = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return value

    def double(self) -> str:
        out: list[str] = []
        self.pos += 1
        while True:
            if self.pos >= len(self.text):
                raise self.fail("unterminated double quote")
            plain = _PLAIN_DOUBLE.match(self.text, self.pos)
            if plain:
                out.append(plain.group())
                self.pos = plain.end()
                continue
            ch = self.text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch in "$`":
                raise self.fail("shell expansion is not supported")
            if ch == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                if nxt in '\\"$`':
                    out.append(nxt)
                elif nxt != "\n":  # a backslash-newline joins lines
                    out.append(ch + nxt)
                self.pos += 2
                continue
            out.append(ch)
            self.pos += 1

    def word(self) -> str:
        out: list[str] = []
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _END:
            plain = _PLAIN_BARE.match(self.text, self.pos)
            if plain:
                out.append(plain.group())
                self.pos = plain.end()
                continue
            ch = self.text[self.pos]
            if ch == "~" and (self.pos == start or self.text[self.pos - 1] == ":"):
                # In an assignment a shell replaces a bare ~ there with a home directory.
                raise self.fail("shell syntax '~' (a home directory) is not supported")
            if ch == "'":
                out.append(self.single())
            elif ch == '"':
                out.append(self.double())
            elif ch in "$`(){}<>|&":
                raise self.fail(f"shell syntax {ch!r} is not supported")
            elif ch == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.fail("backslash at the end of the file")
                if self.text[self.pos + 1] != "\n":
                    out.append(self.text[self.pos + 1])
                self.pos += 2
            else:
                out.append(ch)
                self.pos += 1
        return "".join(out)


def parse_shell_vars(text: str, *, where: str) -> dict[str, str]:
    """``NAME -> value`` for every assignment, the last one winning; InvalidMetadata naming
    the line for anything else."""
    reader = _Reader(text.replace("\r\n", "\n"), where)
    if "\0" in reader.text:
        # A shell drops NUL bytes from its input ("ignored null byte"); the OS would cut a
        # password or a name at one. Neither is what the file says: refused.
        reader.pos = reader.text.index("\0")
        raise reader.fail("a NUL character")
    found: dict[str, str] = {}
    assignments = 0
    while True:
        reader.skip_separators()
        if reader.pos >= len(reader.text):
            return found
        name = reader.name()
        if name == "export" and reader.peek() in _BLANK:
            while reader.peek() in _BLANK and reader.peek():
                reader.pos += 1
            name = reader.name()
        if reader.peek() != "=":
            # The word is not echoed: it may be a piece of a value (a password split by an
            # unquoted space), and this message goes into the log.
            raise reader.fail("expected NAME=value, found a word that is not an assignment")
        reader.pos += 1
        found[name] = reader.word()
        assignments += 1
        if assignments > MAX_ASSIGNMENTS:
            raise reader.fail(f"more than {MAX_ASSIGNMENTS} assignments")
        if len(found) > MAX_VARIABLES:
            raise reader.fail(f"more than {MAX_VARIABLES} variables")
        if reader.peek() in _BLANK and reader.peek():
            # ``A=1 B=2`` is fine; ``A=1 command`` is not an assignment
            while reader.peek() in _BLANK and reader.peek():
                reader.pos += 1
            if (
                reader.peek()
                and reader.peek() not in "\r\n;#"
                and not _NAME.match(reader.text, reader.pos)
            ):
                raise reader.fail("expected NAME=value")
