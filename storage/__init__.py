"""Persistence: the SQLite job store and the file blob store."""
