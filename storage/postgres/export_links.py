"""Links to favourites exports on PostgreSQL (`bot.ports.ExportLinks`), by the hash of their token."""

from __future__ import annotations

from bot.jobs import ExportLink
from storage.postgres.connect import GuardedPool

_COLUMNS = "token_hash, workspace, owner_prefix, surface, created_by, expires_at"


class PostgresExportLinks:
    """The export links' part of `PostgresStore`."""

    _pool: GuardedPool

    async def add_export_link(self, link: ExportLink, now: float) -> None:
        """Record a newly issued link; expired ones go in the same transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"INSERT INTO export_links ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)",
                link.token_hash,
                link.workspace,
                link.owner_prefix,
                link.surface,
                link.created_by,
                link.expires_at,
            )
            await conn.execute("DELETE FROM export_links WHERE expires_at <= $1", now)

    async def export_link(self, token_hash: str, now: float) -> ExportLink | None:
        """The link with this token hash, unless it has expired."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM export_links WHERE token_hash = $1 AND expires_at > $2", token_hash, now
        )
        if row is None:
            return None
        return ExportLink(
            str(row["token_hash"]),
            str(row["workspace"]),
            str(row["owner_prefix"]),
            str(row["surface"]),
            str(row["created_by"]),
            float(row["expires_at"]),
        )
