"""A Label Studio JSON export read task by task: the text is decoded once and each task is
parsed when it is reached, so memory holds the text and one task, not every task at once
(an export of 100,000 annotated tasks parsed whole took a gigabyte)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, NoReturn

from labelworks.domain.errors import InvalidImport, Location
from labelworks.domain.json_value import json_kind

_SPACE = re.compile(r"[ \t\n\r]*")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)


class ExportTasks:
    """The tasks of an export, parsed one at a time each time they are iterated; errors
    are ``InvalidImport`` naming the file and the task (``line``: its place, from 1)."""

    def __init__(self, data: bytes, *, source: str) -> None:
        self.source = source
        try:
            self.text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self._fail(None, f"{source} is not UTF-8 (byte {exc.start})")
        self.start = _SPACE.match(self.text).end()  # type: ignore[union-attr]
        if not self.text.startswith("[", self.start):
            self._not_a_list()
        after = self._skip(self.start + 1)
        if self.text.startswith("]", after):
            self._fail(None, f"{source} has no tasks")

    def __iter__(self) -> Iterator[Any]:
        text = self.text
        at = self._skip(self.start + 1)
        number = 0
        while True:
            number += 1
            try:
                task, at = _decoder.raw_decode(text, at)
            except json.JSONDecodeError as exc:
                self._fail(number, f"invalid JSON: {exc.msg} at character {exc.pos + 1}")
            except (ValueError, RecursionError) as exc:
                self._fail(number, f"invalid JSON: {exc}")
            yield task
            at = self._skip(at)
            if text.startswith("]", at):
                if self._skip(at + 1) != len(text):
                    self._fail(number, "invalid JSON: extra data after the list of tasks")
                return
            if not text.startswith(",", at):
                where = "the end of the file" if at >= len(text) else f"character {at + 1}"
                self._fail(number, f"invalid JSON: expecting ',' or ']' at {where} (truncated?)")
            at = self._skip(at + 1)

    def _skip(self, at: int) -> int:
        return _SPACE.match(self.text, at).end()  # type: ignore[union-attr]

    def _not_a_list(self) -> NoReturn:
        try:
            whole = _decoder.decode(self.text)
        except (ValueError, RecursionError) as exc:
            self._fail(None, f"not a Label Studio JSON export: invalid JSON ({exc})")
        self._fail(
            None, f"a Label Studio JSON export is a list of tasks, not a JSON {json_kind(whole)}"
        )

    def _fail(self, line: int | None, message: str) -> NoReturn:
        raise InvalidImport(message, location=Location(file=self.source, line=line))
