"""labelworks: self-hosted ML data and annotation operations."""

__version__ = "0.1.0"
