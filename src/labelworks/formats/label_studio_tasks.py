"""Label Studio JSON export tasks to labelworks import rows.

A task ``{"id", "data", "annotations": [{"completed_by", "created_at", "lead_time",
"result": [...], "was_cancelled"}], "predictions": [...]}`` becomes the structured row
``{"external_id", "payload", "annotations", "pre_annotations"}`` that the importer reads
(the shape a labelworks export writes), so every check of an import applies to it.
Results become field values: ``choices`` a choice or multi-choice, ``labels`` spans (or
segments on audio and video), ``rectanglelabels`` boxes in pixels (percentages times
``original_width``/``original_height``), ``textarea`` text, ``rating`` a rating.
Cancelled annotations are skipped and counted; results of control tags the config
translation left out (``ignored``) are skipped and counted by name. A prediction whose
``result`` is empty suggests nothing and is left out, except where the fields are one span,
box or segment field and nothing else: there it suggests no region (``[]``), as a detector
that found nothing exports it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from labelworks.domain.errors import InvalidImport, Location
from labelworks.domain.fields import FieldSpec
from labelworks.domain.json_value import json_kind

# Where an annotator known only by a Label Studio user id gets an address: ``.invalid``
# is reserved (RFC 2606), so it never reaches anyone; such people are unknown annotators
# unless the import creates them.
NUMBERED_ANNOTATOR = "label-studio-user-{id}@label-studio.invalid"
MARKS = frozenset({"spans", "boxes", "segments"})
_RESULT_TYPES = {
    "choice": ("choices",),
    "multi_choice": ("choices",),
    "spans": ("labels", "hypertextlabels"),
    "segments": ("labels", "audiolabels", "videolabels"),
    "boxes": ("rectanglelabels",),
    "text": ("textarea",),
    "rating": ("rating",),
}


@dataclass(slots=True)
class TaskReport:
    """What the translation met: tasks, annotations kept and cancelled, predictions, and
    results skipped by control tag name."""

    tasks: int = 0
    annotations: int = 0
    cancelled: int = 0
    # Earlier annotations of a task by someone who annotated it again (the latest is kept:
    # in labelworks an annotator answers an item once).
    superseded: int = 0
    predictions: int = 0
    skipped_results: Counter[str] = field(default_factory=Counter)


class TaskTranslator:
    """Translates tasks into rows for the fields of one project."""

    def __init__(
        self,
        fields: Collection[FieldSpec],
        *,
        source: str,
        from_names: Mapping[str, str] | None = None,
        ignored: Collection[str] = (),
    ) -> None:
        self.fields = {f.name: f for f in fields}
        self.from_names = dict(from_names) if from_names is not None else {}
        self.ignored = frozenset(ignored)
        self.source = source
        self.report = TaskReport()
        # The field an empty prediction speaks for: only when the config has one control and
        # it marks regions can ``result: []`` mean "nothing to mark" rather than "no opinion"
        # (a classifier's prediction of one field must not erase the others).
        only = list(self.fields.values())
        lone = len(only) == 1 and not self.ignored
        self.lone_region = (
            only[0].name if lone and only[0].kind in MARKS and only[0].when is None else None
        )

    def rows(self, tasks: Iterable[Any]) -> Iterator[dict[str, Any]]:
        """One row per task, in order (the row's line is the task's place, from 1)."""
        for number, task in enumerate(tasks, start=1):
            yield self.row(task, number)

    def row(self, task: Any, line: int) -> dict[str, Any]:
        """The import row of one task."""
        if type(task) is not dict:
            self.fail(line, f"a task is an object with data, not {json_kind(task)}")
        data = task.get("data")
        if type(data) is not dict:
            self.fail(line, f"data must be an object, not {json_kind(data)}", "data")
        row: dict[str, Any] = {"payload": data}
        # The external id a labelworks export kept in ``meta``, else Label Studio's task id.
        meta = task.get("meta")
        kept = meta.get("external_id") if type(meta) is dict else None
        task_id = kept if kept is not None else task.get("id")
        if type(task_id) is int or (type(task_id) is str and task_id):
            row["external_id"] = str(task_id)
        latest: dict[str, dict[str, Any]] = {}
        for index, given in enumerate(_list(self, task.get("annotations"), line, "annotations")):
            annotation = self._annotation(given, data, line, f"annotations[{index}]")
            if annotation is None:
                continue
            key = annotation["annotator"].strip().casefold()
            before = latest.get(key)
            if before is not None:
                self.report.superseded += 1
                if (before["created_at"] or "") > (annotation["created_at"] or ""):
                    continue
            latest[key] = annotation
        done = list(latest.values())
        pre = []
        for index, given in enumerate(_list(self, task.get("predictions"), line, "predictions")):
            where = f"predictions[{index}]"
            if type(given) is not dict:
                self.fail(line, f"a prediction is an object, not {json_kind(given)}", where)
            results = given.get("result")
            value = self.value(results, data, line, where, fill=False)
            if results == [] and self.lone_region is not None:
                value = {self.lone_region: []}
            if value:
                model = given.get("model_version")
                pre.append(
                    {
                        "model": str(model)[:200] if model else "label-studio",
                        "score": _finite(given.get("score")),
                        "value": value,
                    }
                )
        row["annotations"] = done
        row["pre_annotations"] = pre
        self.report.tasks += 1
        self.report.annotations += len(done)
        self.report.predictions += len(pre)
        return row

    def _annotation(
        self, given: Any, data: dict[str, Any], line: int, where: str
    ) -> dict[str, Any] | None:
        if type(given) is not dict:
            self.fail(line, f"an annotation is an object, not {json_kind(given)}", where)
        if given.get("was_cancelled") is True:
            self.report.cancelled += 1
            return None
        by = given.get("completed_by")
        if type(by) is dict:
            email, user_id = by.get("email"), by.get("id")
        else:
            email, user_id = None, by
        if type(email) is not str or not email:
            if type(user_id) is not int:
                self.fail(
                    line,
                    "completed_by must be a user object with an email or a user id, "
                    f"not {json_kind(by)}",
                    f"{where}.completed_by",
                )
            email = NUMBERED_ANNOTATOR.format(id=user_id)
        seconds = _finite(given.get("lead_time"))
        if seconds is not None and seconds < 0:
            seconds = None
        moment = given.get("created_at")
        return {
            "annotator": email,
            "value": self.value(given.get("result"), data, line, where),
            "created_at": moment if type(moment) is str else None,
            "seconds": seconds,
        }

    def value(
        self, results: Any, data: dict[str, Any], line: int, where: str, *, fill: bool = True
    ) -> dict[str, Any]:
        """The labelworks value of a result list (an annotation's or a prediction's).

        With ``fill``, span, box and segment fields without a region get ``[]``: a
        finished annotation without regions says there was nothing to mark."""
        value: dict[str, Any] = {
            f.name: [] for f in self.fields.values() if fill and f.kind in MARKS and f.when is None
        }
        answered: set[str] = set()
        for index, result in enumerate(_list(self, results, line, f"{where}.result")):
            here = f"{where}.result[{index}]"
            if type(result) is not dict:
                self.fail(line, f"a result is an object, not {json_kind(result)}", here)
            kind, name = result.get("type"), result.get("from_name")
            if kind == "relation" or name is None:
                self.report.skipped_results[str(kind or "without from_name")] += 1
                continue
            target = self.fields.get(self.from_names.get(str(name), str(name)))
            if target is None:
                if name in self.ignored:
                    self.report.skipped_results[str(name)] += 1
                    continue
                known = ", ".join(sorted(self.fields)) or "none"
                self.fail(
                    line,
                    f"a result for '{name}', which is no field of the project (fields: {known})",
                    f"{here}.from_name",
                )
            if kind not in _RESULT_TYPES.get(target.kind, ()):
                self.fail(
                    line,
                    f"a {kind!r} result for '{name}', a {target.kind} field",
                    f"{here}.type",
                )
            inner = result.get("value")
            if type(inner) is not dict:
                self.fail(line, f"value must be an object, not {json_kind(inner)}", f"{here}.value")
            if target.kind in MARKS:
                value.setdefault(target.name, []).extend(
                    self._marks(target, str(kind), result, inner, line, here)
                )
                continue
            if target.name in answered:
                self.fail(line, f"a second result for the field '{target.name}'", here)
            answered.add(target.name)
            value[target.name] = self._answer(target, inner, line, here)
        return value

    def _answer(self, target: FieldSpec, inner: dict[str, Any], line: int, here: str) -> Any:
        if target.kind in ("choice", "multi_choice"):
            choices = inner.get("choices")
            if type(choices) is not list or not all(type(c) is str for c in choices):
                self.fail(line, "choices must be a list of strings", f"{here}.value.choices")
            for choice in choices:
                if choice not in target.labels:
                    self._outside(line, choice, target, f"{here}.value.choices")
            if target.kind == "multi_choice":
                return choices
            if len(choices) != 1:
                self.fail(
                    line,
                    f"'{target.name}' takes one choice, the result has {len(choices)}",
                    f"{here}.value.choices",
                )
            return choices[0]
        if target.kind == "text":
            text = inner.get("text")
            if type(text) is str:
                return text
            if type(text) is not list or not all(type(t) is str for t in text):
                self.fail(line, "text must be a list of strings", f"{here}.value.text")
            return "\n".join(text)
        rating = inner.get("rating")
        if type(rating) is not int:
            self.fail(line, f"rating must be an integer, not {json_kind(rating)}", f"{here}.value")
        return rating

    def _marks(
        self,
        target: FieldSpec,
        kind: str,
        result: dict[str, Any],
        inner: dict[str, Any],
        line: int,
        here: str,
    ) -> list[dict[str, Any]]:
        labels = inner.get(kind, inner.get("labels"))
        if type(labels) is not list or not labels or not all(type(x) is str for x in labels):
            self.fail(line, f"{kind} must be a non-empty list of labels", f"{here}.value.{kind}")
        for label in labels:
            if label not in target.labels:
                self._outside(line, label, target, f"{here}.value.{kind}")
        if target.kind == "boxes":
            box = self._box(result, inner, line, here)
            return [{**box, "label": label} for label in labels]
        start, end = inner.get("start"), inner.get("end")
        number = (int, float) if target.kind == "segments" else (int,)
        if type(start) not in number or type(end) not in number:
            what = "numbers (seconds)" if target.kind == "segments" else "character offsets"
            self.fail(line, f"start and end must be {what}", f"{here}.value.start")
        return [{"start": start, "end": end, "label": label} for label in labels]

    def _box(
        self, result: dict[str, Any], inner: dict[str, Any], line: int, here: str
    ) -> dict[str, float]:
        width = _finite(result.get("original_width"))
        height = _finite(result.get("original_height"))
        if width is None or height is None or width <= 0 or height <= 0:
            self.fail(
                line,
                "a box needs original_width and original_height to turn percentages into pixels",
                f"{here}.original_width",
            )
        rotation = inner.get("rotation", 0)
        if rotation not in (0, 0.0, None):
            self.fail(line, f"a box rotated by {rotation} degrees cannot be kept", f"{here}.value")
        out: dict[str, float] = {}
        for key, size in (("x", width), ("y", height), ("width", width), ("height", height)):
            percent = _finite(inner.get(key))
            if percent is None:
                self.fail(line, f"{key} must be a number (percent)", f"{here}.value.{key}")
            out[key] = round(percent * size / 100, 4)
        return out

    def _outside(self, line: int, label: str, target: FieldSpec, where: str) -> NoReturn:
        allowed = ", ".join(repr(x) for x in target.labels)
        self.fail(line, f"{label!r} is not a label of '{target.name}' ({allowed})", where)

    def fail(self, line: int, message: str, field: str | None = None) -> NoReturn:
        raise InvalidImport(message, location=Location(file=self.source, line=line, field=field))


def _list(translator: TaskTranslator, given: Any, line: int, where: str) -> list[Any]:
    if given is None:
        return []
    if type(given) is not list:
        translator.fail(line, f"{where} must be a list, not {json_kind(given)}", where)
    return given


def _finite(given: Any) -> float | None:
    """A JSON number as a finite float (booleans are not numbers), else ``None``."""
    if type(given) not in (int, float):
        return None
    number = float(given)
    return number if math.isfinite(number) else None
