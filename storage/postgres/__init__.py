"""The PostgreSQL store (asyncpg): every store role, the blobs, wake-ups and singleton leases.

asyncpg rather than psycopg 3: one dependency with its own pool and a binary protocol (no
libpq to install), prepared statements cached per connection, and LISTEN and session-level
advisory locks on a plain connection of our own, which is how wake-ups and leases are held.
"""
