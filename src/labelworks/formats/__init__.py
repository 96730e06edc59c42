"""Streaming readers and writers over file-like objects handed in by the caller."""
