"""The SQLite store (aiosqlite, WAL, versioned migrations) and the file blob store, for one process."""
