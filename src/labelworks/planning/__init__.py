"""Capacity planning: completion forecasts, headcount for a deadline, allocation of people
across projects. Pure functions over numbers (no database, no I/O)."""
