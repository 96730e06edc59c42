"""The labelworks Python SDK: ``Client(base_url, token)`` over the HTTP API.

Results are the pydantic wire models of ``labelworks.schemas.api``; errors are the classes of
``labelworks.domain.errors`` (``NotFound``, ``UnsafeSpecChange``, ``InvalidImport`` …).
"""

from labelworks.domain.errors import error_classes
from labelworks.schemas.api import (
    ApplyOut,
    ImportOut,
    ItemRowOut,
    ProjectDetailOut,
    ProjectOut,
    StatusOut,
    SubmitOut,
    TaskOut,
    TokenInfoOut,
    UserCreatedOut,
    UserOut,
)
from labelworks.sdk.client import Client, ExportFormat

Task = TaskOut

__all__ = [
    "ApplyOut",
    "Client",
    "ExportFormat",
    "ImportOut",
    "ItemRowOut",
    "ProjectDetailOut",
    "ProjectOut",
    "StatusOut",
    "SubmitOut",
    "Task",
    "TaskOut",
    "TokenInfoOut",
    "UserCreatedOut",
    "UserOut",
    "error_classes",
]
