"""Label Studio labeling configs (XML) to labelworks fields, and back.

``translate_config`` reads the config with DTDs, entities and external references refused
(``defusedxml``: an XML bomb is an error, not a hang) and turns each control tag it knows
into a field, naming every tag it could not translate in ``ConfigTranslation.untranslated``:

==================  ===============================================
Label Studio        labelworks field
==================  ===============================================
Choices             choice (``choice="multiple"``: multi_choice)
Labels on Text      spans
Labels on Audio     segments (audio; on Video: video)
RectangleLabels     boxes
TextArea            text
Rating              rating (1 to ``maxRating``)
==================  ===============================================

A field reads the data key of the object tag its ``toName`` names (``<Text name="t"
value="$review"/>``: ``review``). ``label_config_of`` writes a config for a spec (what the
Label Studio export needs on the other side).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element
from xml.sax.saxutils import quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from labelworks.domain.errors import InvalidImport, Location
from labelworks.domain.spec import ProjectSpec

MAX_CONFIG_BYTES = 1024 * 1024
# Object tags: what a control tag labels (its ``toName``), reading a task's data key.
OBJECT_TAGS = frozenset(
    {
        "text",
        "hypertext",
        "image",
        "audio",
        "audioplus",
        "video",
        "timeseries",
        "paragraphs",
        "table",
        "list",
        "pdf",
    }
)
# Tags that only lay the page out or style it: nothing to translate, nothing lost.
LAYOUT_TAGS = frozenset({"view", "header", "style", "filter", "collapse", "shortcut"})
_FIELD_NAME = re.compile(r"[^A-Za-z0-9_]")
_AUDIO = frozenset({"audio", "audioplus"})


@dataclass(slots=True)
class ConfigTranslation:
    """The fields made from a config, and what could not be made.

    ``fields`` are spec field mappings; ``from_names`` maps a control tag's name to its
    field's name; ``ignored`` holds the names of control tags left out (their results are
    skipped on import and counted); ``untranslated`` says, tag by tag, what was left out.
    """

    fields: list[dict[str, Any]] = field(default_factory=list)
    from_names: dict[str, str] = field(default_factory=dict)
    ignored: set[str] = field(default_factory=set)
    untranslated: list[str] = field(default_factory=list)


def translate_config(text: bytes | str, *, source: str = "config.xml") -> ConfigTranslation:
    """Translate a labeling config; ``InvalidImport`` for XML that cannot be read safely."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_CONFIG_BYTES:
        raise InvalidImport(
            f"the labeling config is larger than {MAX_CONFIG_BYTES // 1024} KiB",
            location=Location(file=source),
        )
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InvalidImport(
            f"the labeling config is refused: {type(exc).__name__} (DTDs, entities and "
            "external references are not read)",
            location=Location(file=source),
        ) from None
    except (ParseError, ValueError) as exc:
        raise InvalidImport(
            f"the labeling config is not XML: {exc}", location=Location(file=source)
        ) from None
    objects = {
        el.get("name", ""): (el.tag.lower(), el.get("value", "").lstrip("$"))
        for el in root.iter()
        if el.tag.lower() in OBJECT_TAGS
    }
    out = ConfigTranslation()
    for el in root.iter():
        tag = el.tag.lower()
        if tag in OBJECT_TAGS or tag in LAYOUT_TAGS or tag in ("choice", "label"):
            continue
        name = el.get("name")
        if name is None:
            out.untranslated.append(f"<{el.tag}> without a name attribute")
            continue
        made = _field(el, tag, objects.get(el.get("toName", "")), out)
        if made is None:
            out.ignored.add(name)
            continue
        made["name"] = _unique(_field_name(name), out.from_names.values())
        out.from_names[name] = made["name"]
        out.fields.append(made)
    return out


def _field(
    el: Element, tag: str, target: tuple[str, str] | None, out: ConfigTranslation
) -> dict[str, Any] | None:
    """The field for one control tag, or ``None`` (said in ``out.untranslated``)."""
    name = el.get("name", "")
    where = f'<{el.tag} name="{name}">'
    if target is None:
        out.untranslated.append(f"{where}: toName does not name an object tag of the config")
        return None
    kind, key = target
    if not key:
        out.untranslated.append(f"{where}: its object tag reads no $data key")
        return None
    if el.get("perRegion") == "true" or el.get("perregion") == "true":
        out.untranslated.append(f"{where}: per-region answers have no labelworks equivalent")
        return None
    required = el.get("required") == "true"
    title = el.get("title") or None
    base: dict[str, Any] = {"required": required, **({"title": title[:200]} if title else {})}
    if tag == "choices":
        labels = _labels(el, "choice")
        if not labels:
            out.untranslated.append(f"{where}: no <Choice> values")
            return None
        multiple = el.get("choice") == "multiple"
        kind_of = "multi_choice" if multiple else "choice"
        return {**base, "kind": kind_of, "labels": labels, "source": key}
    if tag in ("labels", "rectanglelabels"):
        labels = _labels(el, "label")
        if not labels:
            out.untranslated.append(f"{where}: no <Label> values")
            return None
        if tag == "rectanglelabels" and kind == "image":
            return {**base, "kind": "boxes", "labels": labels, "source": key, "required": False}
        if tag == "labels" and kind in ("text", "hypertext"):
            return {**base, "kind": "spans", "labels": labels, "source": key, "required": False}
        if tag == "labels" and (kind in _AUDIO or kind == "video"):
            media = "video" if kind == "video" else "audio"
            return {
                **base,
                "kind": "segments",
                "media": media,
                "labels": labels,
                "source": key,
                "required": False,
            }
        out.untranslated.append(f"{where}: labels on <{kind}> are not supported")
        return None
    if tag == "textarea":
        return {**base, "kind": "text", "max_length": 1_000_000}
    if tag == "rating":
        top = el.get("maxRating") or el.get("maxrating") or "5"
        if not top.isdigit() or not 2 <= int(top) <= 100:
            out.untranslated.append(f"{where}: maxRating {top!r} is not 2 to 100")
            return None
        return {**base, "kind": "rating", "min": 1, "max": int(top)}
    out.untranslated.append(f"{where}: <{el.tag}> has no labelworks equivalent")
    return None


def _labels(el: Element, child: str) -> list[str]:
    seen: list[str] = []
    for c in el:
        value = c.get("value")
        if c.tag.lower() == child and value is not None:
            value = value.strip()
            if value and value not in seen:
                seen.append(value[:200])
    return seen


def _field_name(name: str) -> str:
    cleaned = _FIELD_NAME.sub("_", name)[:64] or "field"
    return cleaned if not cleaned[0].isdigit() else f"_{cleaned[:63]}"


def _unique(name: str, taken: Any) -> str:
    used = set(taken)
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name[:60]}_{n}"
    return candidate


def label_config_of(spec: ProjectSpec) -> str:
    """A Label Studio labeling config for the spec's fields (pairwise fields left out)."""
    objects: dict[str, str] = {}
    controls: list[str] = []
    for f in spec.fields:
        source = f.source or "text"
        if f.kind == "pairwise":
            continue
        tag = {"boxes": "Image", "segments": "Audio"}.get(f.kind, "Text")
        if f.kind == "segments" and getattr(f, "media", "audio") == "video":
            tag = "Video"
        objects.setdefault(source, tag)
        attrs = f"name={quoteattr(f.name)} toName={quoteattr(source)}"
        if f.kind in ("choice", "multi_choice"):
            multiple = ' choice="multiple"' if f.kind == "multi_choice" else ""
            inner = "".join(f"<Choice value={quoteattr(label)}/>" for label in f.labels)
            controls.append(f"<Choices {attrs}{multiple}>{inner}</Choices>")
        elif f.kind in ("spans", "boxes", "segments"):
            name = "RectangleLabels" if f.kind == "boxes" else "Labels"
            inner = "".join(f"<Label value={quoteattr(label)}/>" for label in f.labels)
            controls.append(f"<{name} {attrs}>{inner}</{name}>")
        elif f.kind == "text":
            controls.append(f"<TextArea {attrs}/>")
        elif f.kind == "rating":
            controls.append(f'<Rating {attrs} maxRating="{getattr(f, "max", 5)}"/>')
    shown = "".join(
        f"<{tag} name={quoteattr(key)} value={quoteattr('$' + key)}/>"
        for key, tag in objects.items()
    )
    return f"<View>{shown}{''.join(controls)}</View>"


_INFERRED_KINDS = {
    "choices": "choice",
    "labels": "spans",
    "hypertextlabels": "spans",
    "rectanglelabels": "boxes",
    "textarea": "text",
    "rating": "rating",
}


def infer_config(tasks: Iterable[Any]) -> ConfigTranslation:
    """Fields guessed from the results of the tasks, for an export without its config:
    each ``from_name`` with the labels its results use (in the order first met)."""
    seen: dict[str, dict[str, Any]] = {}
    for task in tasks:
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            continue
        for holder in [*(task.get("annotations") or []), *(task.get("predictions") or [])]:
            results = holder.get("result") if isinstance(holder, dict) else None
            for r in results if isinstance(results, list) else []:
                if isinstance(r, dict) and isinstance(r.get("from_name"), str):
                    _note(seen, r, task["data"])
    out = ConfigTranslation()
    for name, found in seen.items():
        kind = _INFERRED_KINDS.get(found["type"])
        if kind is None:
            out.untranslated.append(f"results of type {found['type']!r} for '{name}'")
            out.ignored.add(name)
            continue
        made: dict[str, Any] = {"kind": kind, "required": False}
        if kind in ("choice", "spans", "boxes"):
            made["labels"] = found["labels"] or ["label"]
            made["source"] = found["to_name"]
        if kind == "choice" and found["multiple"]:
            made["kind"] = "multi_choice"
        if kind == "spans" and not found["text"]:
            made.update(kind="segments", media="audio")
        if kind == "rating":
            made.update(min=1, max=max(5, min(found["top"], 100)))
        made["name"] = _unique(_field_name(name), out.from_names.values())
        out.from_names[name] = made["name"]
        out.fields.append(made)
    return out


def _note(seen: dict[str, dict[str, Any]], r: dict[str, Any], data: dict[str, Any]) -> None:
    kind = str(r.get("type"))
    given_value = r.get("value")
    value: dict[str, Any] = given_value if isinstance(given_value, dict) else {}
    given_to = r.get("to_name")
    to_name = given_to if isinstance(given_to, str) else ""
    if to_name not in data:
        to_name = _data_key(kind, value, data)
    found = seen.setdefault(
        r["from_name"],
        {"type": kind, "to_name": to_name, "labels": [], "multiple": False, "top": 5, "text": True},
    )
    labels = value.get(kind, value.get("labels"))
    for label in labels if isinstance(labels, list) else []:
        if isinstance(label, str) and label.strip() and label.strip() not in found["labels"]:
            found["labels"].append(label.strip()[:200])
    if kind == "choices" and isinstance(labels, list) and len(labels) > 1:
        found["multiple"] = True
    if kind == "rating" and isinstance(value.get("rating"), int):
        found["top"] = max(found["top"], value["rating"])
    if kind == "labels" and ("text" not in value or not isinstance(value.get("start"), int)):
        found["text"] = False


_MEDIA = {
    "rectanglelabels": (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"),
    "audio": (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".opus"),
}


def _data_key(kind: str, value: dict[str, Any], data: dict[str, Any]) -> str:
    """The task data key a result reads when its ``to_name`` is an object tag's name (the
    config, which maps one to the other, is not at hand): the text its span quotes, the
    media its kind shows, else the first text."""
    texts = [k for k, v in data.items() if isinstance(v, str)]
    start, end, quote = value.get("start"), value.get("end"), value.get("text")
    if isinstance(start, int) and isinstance(end, int) and isinstance(quote, str):
        for key in texts:
            if data[key][start:end] == quote:
                return key
    media = "audio" if kind == "labels" else kind
    for key in texts:
        if data[key].lower().split("?")[0].endswith(_MEDIA.get(media, ())):
            return key
    plain = [k for k in texts if not data[k].lower().split("?")[0].endswith(_MEDIA["audio"])]
    return (plain or texts or ["text"])[0]
