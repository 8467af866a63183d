"""`headshot-bot check`: what is configured, what is missing, and whether storage is usable."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bot.consent.terms import CONSENT_VERSION
from bot.errors import UserError
from bot.usage import limit_lines
from bot.wiring.provider_table import BY_RANK
from bot.wiring.settings import Settings
from bot.wiring.stores import open_storage
from bot.workspace_retention import KeepFor, describe_keep


def _dir_usable(path: Path) -> str | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return f"{path} is not writable ({exc.strerror})"
    return None


async def _store_usable(settings: Settings) -> tuple[str, str | None]:
    """Which store DATABASE_URL chooses, and why it is not usable (None when it is)."""
    try:
        storage = await open_storage(settings, serving=False)
    except UserError as exc:  # PostgreSQL says exactly what is wrong, without the password
        return "PostgreSQL", str(exc)
    except Exception as exc:
        return f"SQLite at {settings.database_path}", f"{settings.database_path}: {exc}"
    try:
        return storage.description, None if await storage.store.ping() else f"{storage.description}: no answer"
    finally:
        await storage.close()


async def _shortened_retention(settings: Settings) -> int | None:
    """How many workspaces keep photos or results shorter than the operator's settings (None: unknown)."""
    try:
        storage = await open_storage(settings, serving=False)
    except Exception:
        return None
    try:
        return len(await storage.store.shortened_keeps())
    except Exception:
        return None
    finally:
        await storage.store.close()


def retention_line(settings: Settings, shortened: int | None) -> str:
    """The retention in force: the operator's values, and how many workspaces shorten them."""
    keep = describe_keep(None, KeepFor(settings.photo_keep_hours, settings.result_retention_days))
    if shortened is None:
        return f"{keep} (PHOTO_KEEP_HOURS, RESULT_RETENTION_DAYS); workspaces' own shorter keeps unknown"
    workspaces = "1 workspace keeps them" if shortened == 1 else f"{shortened} workspaces keep them"
    return f"{keep} (PHOTO_KEEP_HOURS, RESULT_RETENTION_DAYS); {workspaces} shorter"


def check_lines(settings: Settings) -> tuple[list[str], bool]:
    """One line per component; and whether everything configured is usable."""
    lines: list[str] = []
    ok = True

    def line(component: str, state: str, detail: str) -> None:
        lines.append(f"{component:<8} {state:<14} {detail}")

    problem = _dir_usable(settings.data_dir)
    where = str(settings.data_dir.resolve()) + (" (temporary files only)" if settings.postgres_url else "")
    line("data", "usable" if not problem else "NOT USABLE", problem or where)
    ok &= problem is None
    described = "?"
    if problem:
        problem = "DATA_DIR unusable"
    else:
        described, problem = asyncio.run(_store_usable(settings))
    line("store", "usable" if not problem else "NOT USABLE", problem or described)
    ok &= problem is None
    public = settings.public_base_url
    line("web", "configured", f"port {settings.port}; public URL {public or 'not set (Runflow callbacks need it)'}")

    if settings.slack_oauth:
        problem = settings.secret_key_problem()
        install = f"{public.rstrip('/')}/slack/install" if public else "/slack/install (PUBLIC_BASE_URL is not set)"
        line("slack", "configured" if not problem else "incomplete",
             problem or f"OAuth mode: many workspaces, each installs at {install}; HTTP events at /slack/events"
             + ("; SLACK_APP_TOKEN is ignored (no Socket Mode)" if settings.slack_app_token else ""))
        ok &= problem is None
    elif settings.slack_enabled:
        mode = "Socket Mode" if settings.slack_app_token else "HTTP events at /slack/events"
        line("slack", "configured", f"single-workspace mode (SLACK_BOT_TOKEN): {mode}")
    elif settings.slack_bot_token is None and (settings.slack_client_id or settings.slack_client_secret):
        wanted = (("SLACK_CLIENT_ID", settings.slack_client_id), ("SLACK_CLIENT_SECRET", settings.slack_client_secret),
                  ("SLACK_SIGNING_SECRET", settings.slack_signing_secret))
        line("slack", "incomplete", "OAuth mode: missing " + ", ".join(n for n, v in wanted if v is None))
        ok = False
    elif settings.slack_bot_token or settings.slack_signing_secret or settings.slack_app_token:
        missing = [name for name, v in (("SLACK_BOT_TOKEN", settings.slack_bot_token),) if v is None]
        if settings.slack_signing_secret is None and settings.slack_app_token is None:
            missing.append("SLACK_SIGNING_SECRET or SLACK_APP_TOKEN")
        line("slack", "incomplete", "missing " + ", ".join(missing))
        ok = False
    else:
        line("slack", "off", "set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN), "
             "or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET for many workspaces")
    if settings.slack_enabled or settings.slack_client_id or settings.slack_client_secret:
        missing = settings.slack_photo_missing()
        if not missing:
            assert public is not None
            line("photos", "configured", f"Set as my Slack photo: each person allows it once at "
                 f"{public.rstrip('/')}/slack/user-auth")
        else:
            asked = settings.slack_client_id is not None or settings.slack_client_secret is not None
            line("photos", "incomplete" if asked else "off", "Set as my Slack photo needs " + ", ".join(missing))
    if settings.discord_token:
        guilds = settings.discord_guild_ids or "all guilds (global commands)"
        line("discord", "configured", f"commands for {guilds}")
    else:
        line("discord", "off", "set DISCORD_TOKEN")
    for entry in BY_RANK:
        state, detail = entry.status(settings.provider_settings)
        line(entry.name, state, detail)
    line("metrics", "configured", "GET /metrics; " + ("bearer token required" if settings.metrics_token else
                                                     "open to anyone who reaches the port (set METRICS_TOKEN)"))
    limits = limit_lines(settings.quotas)
    if not limits:
        line("quotas", "off", "no limits (set QUOTA_<PROVIDER>_PER_<USER|WORKSPACE>_PER_<DAY|MONTH>)")
    for text in limits:
        line("quotas", "in force", text)
    shortened = asyncio.run(_shortened_retention(settings)) if described != "?" and ok else None
    line("keeping", "in force", retention_line(settings, shortened))
    policy = settings.privacy_policy_url
    line("privacy", "configured" if policy else "incomplete",
         f"consent text version {CONSENT_VERSION}; "
         + (f"it links {policy}" if policy else "set PRIVACY_POLICY_URL to your published retention policy"))
    return lines, ok
