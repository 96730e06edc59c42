"""Prompt templates: Jinja2 in an immutable sandbox, checked when pushed and rendered strictly.

A template may only read the variables it is given (``StrictUndefined``: a name it was not
given is an error, never an empty string), never an underscore attribute (``''.__class__``
is refused when the template is checked, and the sandbox refuses what a check cannot see,
such as ``''|attr('__class__')``), never another template (``include``, ``import``,
``extends``), and never mutates what it is given. Rendering is bounded: at most
``MAX_OUTPUT_CHARS`` of output, ``MAX_RANGE_STEPS`` steps of ``range()`` in all, and no
``*``/``**`` whose result would be huge. Like any template engine it does not bound every
computation a template can spell, which is why only managers and admins push prompts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from labelworks.domain.errors import InvalidInput

MAX_OUTPUT_CHARS = 1_000_000
MAX_RANGE_STEPS = 100_000
MAX_EXPONENT = 256
# Names every template sees without being given them; a variable may not take one.
GLOBALS = ("range", "dict", "cycler", "joiner", "namespace")


class TemplateProblem(Exception):
    """What is wrong with a template; ``line`` is 1-based within the template, if known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Budget:
    """The ``range()`` steps one rendering may still take."""

    def __init__(self) -> None:
        self.left = MAX_RANGE_STEPS

    def range(self, *args: int) -> range:
        steps = range(*args)
        self.left -= len(steps)
        if self.left < 0:
            raise SecurityError(f"the template's loops take more than {MAX_RANGE_STEPS:,} steps")
        return steps


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox with size checks on ``*`` and ``**`` (intercepting them also keeps
    Jinja's optimizer from folding ``9**9**9`` while the template is compiled)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"an exponent over {MAX_EXPONENT} is refused")
            return left**right
        for seq, times in ((left, right), (right, left)):
            sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
            if sized and len(seq) * times > MAX_OUTPUT_CHARS:
                raise SecurityError(f"a repetition over {MAX_OUTPUT_CHARS:,} is refused")
        return left * right


def _environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.pop("lipsum", None)  # output of any length from one call
    return env


_ENV = _environment()


def used_variables(template: str) -> list[str]:
    """The variables ``template`` reads, in the order they first appear; ``TemplateProblem``
    if it does not parse, reads an underscore attribute or names another template."""
    try:
        ast = _ENV.parse(template)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"the template does not parse: {exc.message}", exc.lineno) from None
    except RecursionError:
        raise TemplateProblem("the template nests too deeply") from None
    other = next(ast.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)), None)
    if other is not None:
        raise TemplateProblem(
            "a prompt cannot include, import or extend another template", other.lineno
        )
    for name, line in _internals(ast):
        raise TemplateProblem(
            f"the template reads {name[:80]!r}: attributes starting with '_' are refused", line
        )
    undeclared = meta.find_undeclared_variables(ast)
    order: list[str] = []
    for found in ast.find_all(nodes.Name):
        if found.ctx == "load" and found.name in undeclared and found.name not in order:
            order.append(found.name)
    return order + sorted(undeclared - set(order))


def _internals(ast: nodes.Template) -> Iterator[tuple[str, int]]:
    for node in ast.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            yield node.attr, node.lineno
    for item in ast.find_all(nodes.Getitem):
        name = _constant(item.arg)
        if name is not None and name.startswith("_"):
            yield name, item.lineno


def _constant(node: nodes.Expr) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


@functools.lru_cache(maxsize=32)
def _compiled(template: str) -> Template:
    # A judge renders one template thousands of times: compiling it each time (Jinja's
    # lexer, parser and Python's compile()) cost more than the rest of a request together.
    return _ENV.from_string(template)


def render_template(template: str, values: Mapping[str, Any]) -> str:
    """``template`` rendered with ``values`` (already checked against its variables);
    ``InvalidInput`` saying why when it fails or asks for what the sandbox refuses."""
    budget = _Budget()
    try:
        # The budgeted range() goes in with the values (a context name shadows the global),
        # so one compiled template serves every rendering.
        return _joined(_compiled(template).generate({**values, "range": budget.range}))
    except SecurityError as exc:
        raise InvalidInput(f"the sandbox refused the template: {exc}") from None
    except UndefinedError as exc:
        raise InvalidInput(f"the template failed: {exc}") from None
    except TemplateError as exc:
        raise InvalidInput(f"the template failed: {exc}") from None
    except RecursionError:
        raise InvalidInput("the template failed: it recursed too deeply") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise InvalidInput(f"the template failed: {type(exc).__name__}: {exc}") from None


def _joined(chunks: Iterator[str]) -> str:
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise SecurityError(f"the output is over {MAX_OUTPUT_CHARS:,} characters")
        out.append(chunk)
    return "".join(out)
