"""Versioned schema migrations for the SQLite store: append, never edit a released step.

Each step runs in one `BEGIN IMMEDIATE` transaction together with the new `user_version`, so
two processes opening a new file at once apply each step once.
"""

from __future__ import annotations

import sqlite3

import aiosqlite


async def migrate(db: aiosqlite.Connection) -> int:
    """Apply the steps this database lacks; returns its schema version afterwards."""
    version = await _user_version(db)
    while version < len(MIGRATIONS):
        script = MIGRATIONS[version]
        try:
            await db.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={version + 1};\nCOMMIT;")
        except sqlite3.OperationalError:
            # Another process opening the same new file may have applied this step first.
            await db.rollback()
            if await _user_version(db) <= version:
                raise
        version = await _user_version(db)
    return version


async def _user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


MIGRATIONS: list[str] = [
    # 1: jobs, their results, recorded deliveries, user defaults and provider call log.
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        surface TEXT NOT NULL,
        thread TEXT NOT NULL,
        provider TEXT NOT NULL,
        options TEXT NOT NULL,
        photo_count INTEGER NOT NULL,
        state TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL DEFAULT 0,
        remote_id TEXT,
        callback_hash TEXT UNIQUE,
        deadline REAL,
        results_total INTEGER NOT NULL DEFAULT 0,
        results_done INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        detail TEXT,
        extras TEXT NOT NULL DEFAULT '{}',
        purged INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_by_state ON jobs (state, not_before);
    CREATE INDEX jobs_by_owner ON jobs (owner, created_at);
    CREATE TABLE results (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        url TEXT,
        blob_key TEXT,
        size INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, idx)
    );
    CREATE TABLE deliveries (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (job_id, key)
    );
    CREATE TABLE user_settings (
        owner TEXT PRIMARY KEY,
        options TEXT NOT NULL,
        provider TEXT,
        updated_at REAL NOT NULL
    );
    CREATE TABLE provider_calls (
        provider TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX provider_calls_by_time ON provider_calls (provider, at);
    """,
    # 2: a worker's lease on a job, so that several workers can share one queue.
    """
    ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
    ALTER TABLE jobs ADD COLUMN lease_until REAL NOT NULL DEFAULT 0;
    """,
    # 3: chat app installations per workspace (sealed by the adapter) and one-time OAuth states.
    """
    CREATE TABLE installations (
        workspace TEXT PRIMARY KEY,
        sealed BLOB NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE oauth_states (
        state_hash TEXT PRIMARY KEY,
        expires_at REAL NOT NULL
    );
    """,
    # 4: a finished job's photos are kept a while (for its follow-up buttons); this says when they are gone.
    # Jobs finished before this version lost their photos when they ended.
    """
    ALTER TABLE jobs ADD COLUMN photos_purged INTEGER NOT NULL DEFAULT 0;
    UPDATE jobs SET photos_purged = 1 WHERE state IN ('delivered', 'failed');
    """,
    # 5: the workspace a job counts against, and each job's charge of images against the quotas
    # (no foreign key: forgetting a user must not give their allowance back).
    """
    ALTER TABLE jobs ADD COLUMN workspace TEXT NOT NULL DEFAULT '';
    CREATE TABLE quota_charges (
        job_id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        owner TEXT NOT NULL,
        workspace TEXT NOT NULL,
        at REAL NOT NULL,
        images INTEGER NOT NULL,
        held_until REAL
    );
    CREATE INDEX quota_charges_by_owner ON quota_charges (provider, owner, at);
    CREATE INDEX quota_charges_by_workspace ON quota_charges (provider, workspace, at);
    """,
    # 6: links to galleries, by the hash of their token; they go with their job.
    """
    CREATE TABLE gallery_links (
        token_hash TEXT PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        created_at REAL NOT NULL
    );
    CREATE INDEX gallery_links_by_job ON gallery_links (job_id);
    """,
    # 7: requests acknowledged but not yet jobs, so a restart can tell whoever is still waiting.
    """
    CREATE TABLE intakes (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        surface TEXT NOT NULL,
        reply TEXT NOT NULL,
        thread TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX intakes_by_age ON intakes (created_at);
    """,
    # 8: a running count of images per provider, user or workspace, and UTC day or month, so a
    # limit is checked by reading one row; filled from the charges so far. Outstanding holds get
    # an index of their own.
    """
    CREATE TABLE quota_counts (
        provider TEXT NOT NULL,
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        period TEXT NOT NULL,
        start REAL NOT NULL,
        images INTEGER NOT NULL,
        PRIMARY KEY (provider, scope, key, period, start)
    );
    INSERT INTO quota_counts (provider, scope, key, period, start, images)
        SELECT provider, 'user', owner, 'day', CAST(at AS INTEGER) / 86400 * 86400 AS start, SUM(images)
        FROM quota_charges GROUP BY provider, owner, start;
    INSERT INTO quota_counts (provider, scope, key, period, start, images)
        SELECT provider, 'user', owner, 'month',
            CAST(strftime('%s', at, 'unixepoch', 'start of month') AS REAL) AS start, SUM(images)
        FROM quota_charges GROUP BY provider, owner, start;
    INSERT INTO quota_counts (provider, scope, key, period, start, images)
        SELECT provider, 'workspace', workspace, 'day', CAST(at AS INTEGER) / 86400 * 86400 AS start, SUM(images)
        FROM quota_charges GROUP BY provider, workspace, start;
    INSERT INTO quota_counts (provider, scope, key, period, start, images)
        SELECT provider, 'workspace', workspace, 'month',
            CAST(strftime('%s', at, 'unixepoch', 'start of month') AS REAL) AS start, SUM(images)
        FROM quota_charges GROUP BY provider, workspace, start;
    CREATE INDEX quota_holds ON quota_charges (held_until) WHERE held_until IS NOT NULL;
    """,
    # 9: what must hold across processes: holds on users' job slots, and event keys already seen.
    """
    CREATE TABLE job_holds (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        until REAL NOT NULL
    );
    CREATE INDEX job_holds_by_owner ON job_holds (owner);
    CREATE TABLE seen_keys (
        key TEXT PRIMARY KEY,
        until REAL NOT NULL
    );
    """,
    # 10: the headshots people marked as favourites; they go with their job's results or their job.
    """
    CREATE TABLE favourites (
        owner TEXT NOT NULL,
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        chosen_at REAL NOT NULL,
        PRIMARY KEY (owner, job_id, idx)
    );
    CREATE INDEX favourites_by_job ON favourites (job_id);
    CREATE INDEX favourites_by_time ON favourites (owner, chosen_at);
    """,
    # 11: people's own tokens for a chat platform, sealed by the adapter; they go with their owner.
    """
    CREATE TABLE user_credentials (
        owner TEXT PRIMARY KEY,
        sealed BLOB NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # 12: the language a job's posts speak, and that of whoever waits for a request not yet a job.
    """
    ALTER TABLE jobs ADD COLUMN locale TEXT;
    ALTER TABLE intakes ADD COLUMN locale TEXT;
    """,
    # 13: each workspace's brand kit (the looks its people may ask for), set by its admins.
    """
    CREATE TABLE brand_kits (
        workspace TEXT PRIMARY KEY,
        kit TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # 14: workspaces that keep photos or results shorter than the operator's settings; their
    # finished jobs are found by workspace.
    """
    CREATE TABLE workspace_retention (
        workspace TEXT PRIMARY KEY,
        photo_keep_hours REAL,
        result_retention_days REAL,
        updated_by TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX jobs_by_workspace ON jobs (workspace, updated_at);
    """,
    # 15: campaigns, and each person on one with where their invitation and reminder stand.
    """
    CREATE TABLE campaigns (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        surface TEXT NOT NULL,
        name TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at REAL NOT NULL,
        deadline REAL NOT NULL,
        remind_at REAL NOT NULL
    );
    CREATE INDEX campaigns_by_workspace ON campaigns (workspace, created_at);
    CREATE TABLE campaign_people (
        campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        owner TEXT NOT NULL,
        address TEXT NOT NULL,
        invite_state TEXT,
        invite_at REAL NOT NULL DEFAULT 0,
        remind_state TEXT,
        remind_at REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, owner)
    );
    CREATE INDEX campaign_people_in_order ON campaign_people (campaign_id, seq);
    CREATE INDEX campaign_people_by_owner ON campaign_people (owner);
    """,
    # 16: links to workspaces' favourites exports, by the hash of their token; they expire.
    """
    CREATE TABLE export_links (
        token_hash TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        owner_prefix TEXT NOT NULL,
        surface TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX export_links_by_expiry ON export_links (expires_at);
    """,
    # 17: people's agreements to the consent question (an agreement stays beside later ones), requests
    # held until their person answers it (ids and links, never a photo), and links to data exports.
    """
    CREATE TABLE consents (
        owner TEXT NOT NULL,
        version TEXT NOT NULL,
        providers TEXT NOT NULL,
        photo_keep_hours REAL NOT NULL,
        result_days REAL NOT NULL,
        wording TEXT NOT NULL,
        agreed_at REAL NOT NULL
    );
    CREATE INDEX consents_by_owner ON consents (owner, agreed_at);
    CREATE TABLE pending_requests (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        surface TEXT NOT NULL,
        resume TEXT NOT NULL,
        version TEXT NOT NULL,
        providers TEXT NOT NULL,
        photo_keep_hours REAL NOT NULL,
        result_days REAL NOT NULL,
        wording TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX pending_requests_by_owner ON pending_requests (owner, created_at);
    CREATE INDEX pending_requests_by_age ON pending_requests (created_at);
    CREATE TABLE data_export_links (
        token_hash TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX data_export_links_by_owner ON data_export_links (owner);
    """,
]
