"""Storage: tables, repositories and migrations. The only place SQL is written.

Repositories take a SQLAlchemy ``Connection`` inside a transaction opened by the services
layer; they flush (execute) and never commit.
"""
