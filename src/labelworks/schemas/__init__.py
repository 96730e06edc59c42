"""Pydantic wire models shared by the HTTP API and the SDK."""
