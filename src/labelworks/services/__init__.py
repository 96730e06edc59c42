"""Use cases, one function each, one transaction each: load through storage, decide
through the domain core, save, commit once."""
