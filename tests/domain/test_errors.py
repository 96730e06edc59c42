"""The error tree: each stable code names one class, found again from the code alone."""

from __future__ import annotations

from labelworks.domain import errors


def test_every_code_names_its_class_again() -> None:
    """error_class finds each class of the tree by its code, and LabelworksError for a code
    it does not know, so a stored refusal is raised again as itself."""
    tree: list[type[errors.LabelworksError]] = []
    pending: list[type[errors.LabelworksError]] = [errors.LabelworksError]
    while pending:
        cls = pending.pop()
        tree.append(cls)
        pending.extend(cls.__subclasses__())
    assert {cls: errors.error_class(cls.code) for cls in tree} == {cls: cls for cls in tree}
    assert (errors.error_class("no_such_code"), errors.error_class(None)) == (
        errors.LabelworksError,
        errors.LabelworksError,
    )
