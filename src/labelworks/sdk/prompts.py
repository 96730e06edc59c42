"""The prompt registry part of the client: push a prompt's next version, list prompts, read
a version, diff two, render one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter

from labelworks.domain.prompts import TEMPLATE_SUFFIXES, prompt_from_template
from labelworks.schemas.prompts import (
    PromptDiffOut,
    PromptOut,
    PromptSummaryOut,
    PushedOut,
    RenderOut,
)
from labelworks.sdk.paths import segment

Prompt = Mapping[str, Any] | str | os.PathLike[str]
_SUMMARIES = TypeAdapter(list[PromptSummaryOut])


def _body(prompt: Prompt) -> tuple[bytes, str]:
    """``prompt`` as a request body: a mapping as JSON, text as YAML, a path's file as it
    is (YAML), or a plain template file (.txt, .j2, .jinja, .jinja2) with the variables
    it reads."""
    if isinstance(prompt, Mapping):
        return json.dumps(dict(prompt)).encode(), "application/json"
    if isinstance(prompt, str):
        return prompt.encode(), "application/yaml"
    path = Path(prompt)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in TEMPLATE_SUFFIXES:
        document = prompt_from_template(text, source=str(path)).document()
        return json.dumps(document).encode(), "application/json"
    return text.encode(), "application/yaml"


class PromptsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def push_prompt(self, name: str, prompt: Prompt) -> PushedOut:
        """Make ``prompt`` (a mapping, YAML text, or the path of a YAML file or a plain
        template) the prompt's next version; ``created`` is false when the latest version
        held the same content already. A bad prompt raises ``InvalidPrompt`` naming its
        field (and line)."""
        content, content_type = _body(prompt)
        response = self._request(
            "POST", f"/prompts/{segment(name)}", content=content, content_type=content_type
        )
        return PushedOut.model_validate(response.json())

    def prompts(self) -> list[PromptSummaryOut]:
        """Every prompt by name, with its latest version and how many versions it has."""
        return _SUMMARIES.validate_python(self._request("GET", "/prompts").json())

    def prompt(self, name: str, version: int | None = None) -> PromptOut:
        """One version of the prompt (the latest by default) whole, with its versions."""
        response = self._request("GET", f"/prompts/{segment(name)}", params={"version": version})
        return PromptOut.model_validate(response.json())

    def prompt_diff(self, name: str, a: int, b: int) -> PromptDiffOut:
        """The unified diff of versions ``a`` and ``b`` of the prompt."""
        response = self._request("GET", f"/prompts/{segment(name)}/diff", params={"a": a, "b": b})
        return PromptDiffOut.model_validate(response.json())

    def render_prompt(
        self, name: str, variables: Mapping[str, Any], version: int | None = None
    ) -> RenderOut:
        """The prompt (the latest version by default) rendered with ``variables``, which
        must give exactly its variables; with the parameters to send the text with."""
        body: dict[str, Any] = {"variables": dict(variables)}
        if version is not None:
            body["version"] = version
        response = self._request("POST", f"/prompts/{segment(name)}/render", json_body=body)
        return RenderOut.model_validate(response.json())
