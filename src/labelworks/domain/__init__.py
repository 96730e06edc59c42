"""Pure business rules: no database, no HTTP, no environment, no file I/O."""
