"""Persistence, in two wings of one shape: `sqlite/` (one process, with the file blob store) and
`postgres/` (several replicas), laid out file for file; `rows` is what both share."""
