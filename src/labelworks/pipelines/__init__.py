"""Ingestion steps over record streams: validate, hash, dedupe. Pure: no I/O of its own."""
