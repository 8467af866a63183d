"""Versioned schema migrations for the PostgreSQL store: append, never edit a released step.

Each step runs in its own transaction together with the record of its number, and every start
takes one advisory lock first, so replicas that start at the same moment apply each step once.
"""

from __future__ import annotations

import asyncpg

# The advisory lock key that serialises migrations across processes ("hsbot-mg" as a number).
MIGRATION_LOCK = 0x6873626F742D6D67

MIGRATIONS: list[str] = [
    # 1: jobs with leases, results, deliveries, user defaults, the provider call log, holds on
    # users' job slots, event keys already seen, quota charges, gallery links, requests not yet
    # jobs, chat app installations, one-time OAuth states, blobs.
    """
    CREATE TABLE jobs (
        id text PRIMARY KEY,
        owner text NOT NULL,
        surface text NOT NULL,
        thread jsonb NOT NULL,
        provider text NOT NULL,
        options jsonb NOT NULL,
        photo_count integer NOT NULL,
        state text NOT NULL,
        created_at double precision NOT NULL,
        updated_at double precision NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        not_before double precision NOT NULL DEFAULT 0,
        remote_id text,
        callback_hash text UNIQUE,
        deadline double precision,
        results_total integer NOT NULL DEFAULT 0,
        results_done integer NOT NULL DEFAULT 0,
        error text,
        detail text,
        purged boolean NOT NULL DEFAULT false,
        photos_purged boolean NOT NULL DEFAULT false,
        workspace text NOT NULL DEFAULT '',
        lease_owner text,
        lease_until double precision NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_active ON jobs (not_before)
        WHERE state IN ('queued', 'generating', 'fetching', 'delivering', 'failing');
    CREATE INDEX jobs_waiting ON jobs (deadline) WHERE state = 'waiting';
    CREATE INDEX jobs_by_owner ON jobs (owner, created_at);
    CREATE INDEX jobs_finished ON jobs (updated_at) WHERE state IN ('delivered', 'failed') AND NOT purged;
    CREATE TABLE results (
        job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx integer NOT NULL,
        url text,
        blob_key text,
        size bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, idx)
    );
    CREATE TABLE deliveries (
        job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        key text NOT NULL,
        state text NOT NULL,
        updated_at double precision NOT NULL,
        PRIMARY KEY (job_id, key)
    );
    CREATE TABLE user_settings (
        owner text PRIMARY KEY,
        options jsonb NOT NULL,
        provider text,
        updated_at double precision NOT NULL
    );
    CREATE TABLE provider_calls (
        provider text NOT NULL,
        at double precision NOT NULL
    );
    CREATE INDEX provider_calls_by_time ON provider_calls (provider, at);
    CREATE TABLE job_holds (
        id text PRIMARY KEY,
        owner text NOT NULL,
        until double precision NOT NULL
    );
    CREATE INDEX job_holds_by_owner ON job_holds (owner);
    CREATE TABLE seen_keys (
        key text PRIMARY KEY,
        until double precision NOT NULL
    );
    -- Each job's charge of images against the quotas (no foreign key: forgetting a user must not
    -- give their allowance back).
    CREATE TABLE quota_charges (
        job_id text PRIMARY KEY,
        provider text NOT NULL,
        owner text NOT NULL,
        workspace text NOT NULL,
        at double precision NOT NULL,
        images integer NOT NULL,
        held_until double precision
    );
    CREATE INDEX quota_charges_by_owner ON quota_charges (provider, owner, at);
    CREATE INDEX quota_charges_by_workspace ON quota_charges (provider, workspace, at);
    -- Links to galleries, by the hash of their token; they go with their job.
    CREATE TABLE gallery_links (
        token_hash text PRIMARY KEY,
        job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        created_at double precision NOT NULL
    );
    CREATE INDEX gallery_links_by_job ON gallery_links (job_id);
    -- Requests acknowledged but not yet jobs, so that whoever is still waiting can be told.
    CREATE TABLE intakes (
        id text PRIMARY KEY,
        owner text NOT NULL,
        surface text NOT NULL,
        reply jsonb NOT NULL,
        thread jsonb,
        created_at double precision NOT NULL,
        answering_until double precision NOT NULL DEFAULT 0
    );
    CREATE INDEX intakes_by_age ON intakes (created_at);
    CREATE TABLE installations (
        workspace text PRIMARY KEY,
        sealed bytea NOT NULL,
        updated_at double precision NOT NULL
    );
    CREATE TABLE oauth_states (
        state_hash text PRIMARY KEY,
        expires_at double precision NOT NULL
    );
    -- A blob is a row naming its upload; the bytes are the upload's chunks. Chunks are written
    -- first and the row last, so a reader sees a whole blob or none.
    CREATE TABLE blobs (
        key text COLLATE "C" PRIMARY KEY,
        upload uuid NOT NULL UNIQUE,
        size bigint NOT NULL,
        created_at double precision NOT NULL
    );
    CREATE TABLE blob_chunks (
        upload uuid NOT NULL,
        seq integer NOT NULL,
        data bytea NOT NULL,
        written_at double precision NOT NULL,
        PRIMARY KEY (upload, seq)
    );
    -- Photos and results are already compressed: spare the server trying again.
    ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
    """,
    # 2: the headshots people marked as favourites; they go with their job's results or their job.
    """
    CREATE TABLE favourites (
        owner text NOT NULL,
        job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx integer NOT NULL,
        chosen_at double precision NOT NULL,
        PRIMARY KEY (owner, job_id, idx)
    );
    CREATE INDEX favourites_by_job ON favourites (job_id);
    CREATE INDEX favourites_by_time ON favourites (owner, chosen_at);
    """,
    # 3: people's own tokens for a chat platform, sealed by the adapter; they go with their owner.
    """
    CREATE TABLE user_credentials (
        owner text COLLATE "C" PRIMARY KEY,
        sealed bytea NOT NULL,
        updated_at double precision NOT NULL
    );
    """,
    # 4: the language a job's posts speak, and that of whoever waits for a request not yet a job.
    """
    ALTER TABLE jobs ADD COLUMN locale text;
    ALTER TABLE intakes ADD COLUMN locale text;
    """,
    # 5: each workspace's brand kit (the looks its people may ask for), set by its admins.
    """
    CREATE TABLE brand_kits (
        workspace text PRIMARY KEY,
        kit jsonb NOT NULL,
        updated_by text NOT NULL,
        updated_at double precision NOT NULL
    );
    """,
    # 6: workspaces that keep photos or results shorter than the operator's settings; their
    # finished jobs are found by workspace.
    """
    CREATE TABLE workspace_retention (
        workspace text PRIMARY KEY,
        photo_keep_hours double precision,
        result_retention_days double precision,
        updated_by text NOT NULL,
        updated_at double precision NOT NULL
    );
    CREATE INDEX jobs_by_workspace ON jobs (workspace, updated_at);
    """,
    # 7: campaigns, and each person on one with where their invitation and reminder stand.
    """
    CREATE TABLE campaigns (
        id text PRIMARY KEY,
        workspace text NOT NULL,
        surface text NOT NULL,
        name text NOT NULL,
        created_by text NOT NULL,
        created_at double precision NOT NULL,
        deadline double precision NOT NULL,
        remind_at double precision NOT NULL
    );
    CREATE INDEX campaigns_by_workspace ON campaigns (workspace, created_at);
    CREATE TABLE campaign_people (
        campaign_id text NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        owner text NOT NULL,
        address jsonb NOT NULL,
        invite_state text,
        invite_at double precision NOT NULL DEFAULT 0,
        remind_state text,
        remind_at double precision NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, owner)
    );
    CREATE INDEX campaign_people_in_order ON campaign_people (campaign_id, seq);
    CREATE INDEX campaign_people_by_owner ON campaign_people (owner);
    """,
    # 8: links to workspaces' favourites exports, by the hash of their token; they expire.
    """
    CREATE TABLE export_links (
        token_hash text PRIMARY KEY,
        workspace text NOT NULL,
        owner_prefix text NOT NULL,
        surface text NOT NULL,
        created_by text NOT NULL,
        expires_at double precision NOT NULL
    );
    CREATE INDEX export_links_by_expiry ON export_links (expires_at);
    """,
    # 9: people's agreements to the consent question (an agreement stays beside later ones), requests
    # held until their person answers it (ids and links, never a photo), and links to data exports.
    """
    CREATE TABLE consents (
        owner text NOT NULL,
        version text NOT NULL,
        providers text NOT NULL,
        photo_keep_hours double precision NOT NULL,
        result_days double precision NOT NULL,
        wording text NOT NULL,
        agreed_at double precision NOT NULL
    );
    CREATE INDEX consents_by_owner ON consents (owner, agreed_at);
    CREATE TABLE pending_requests (
        id text PRIMARY KEY,
        owner text NOT NULL,
        surface text NOT NULL,
        resume text NOT NULL,
        version text NOT NULL,
        providers text NOT NULL,
        photo_keep_hours double precision NOT NULL,
        result_days double precision NOT NULL,
        wording text NOT NULL,
        created_at double precision NOT NULL
    );
    CREATE INDEX pending_requests_by_owner ON pending_requests (owner, created_at);
    CREATE INDEX pending_requests_by_age ON pending_requests (created_at);
    CREATE TABLE data_export_links (
        token_hash text PRIMARY KEY,
        owner text NOT NULL,
        created_at double precision NOT NULL,
        expires_at double precision NOT NULL
    );
    CREATE INDEX data_export_links_by_owner ON data_export_links (owner);
    """,
]


async def migrate(conn: asyncpg.Connection) -> int:
    """Apply the steps this database lacks; returns its schema version afterwards."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        version = int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))
        for number in range(version + 1, len(MIGRATIONS) + 1):
            async with conn.transaction():
                await conn.execute(MIGRATIONS[number - 1])
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", number)
            version = number
        return version
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
