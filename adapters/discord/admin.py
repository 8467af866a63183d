"""`/headshot-admin`: the server's brand kit, for members with Manage Server; every answer ephemeral.

Each option takes words ("executive, professional", "any"); an option left out keeps its value.
With no option at all the command shows the kit in force. Whether the person may change it is
Discord's Manage Server permission in that server; the rule itself is the core's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from adapters.discord.intake import OWNER_PREFIX, guild_workspace, owner_key
from adapters.discord.surface import fit
from adapters.discord.translator import discord_locale, localized
from bot.brand_kit import BrandKit, parse_kit_words
from bot.errors import UserError
from bot.export.publish import Exports
from bot.i18n import phrase, t
from bot.workspace_admin import WorkspaceAdmin
from bot.workspace_retention import KeepFor, describe_keep

ADMIN_HELP = {
    "styles": localized(phrase("Allowed styles, e.g. “executive, professional” (“any” for all)")),
    "backgrounds": localized(phrase("Allowed backgrounds, e.g. “studio white, office”")),
    "attire": localized(phrase("Allowed attire, e.g. “business formal”")),
    "aspect_ratios": localized(phrase("Allowed aspect ratios, e.g. “1:1, 3:4”")),
    "lock": localized(phrase("Lock one look for everyone: give exactly one value of each")),
    "photo_keep_hours": localized(
        phrase("Keep photos this many hours after their job ends (at most the bot's own setting)")
    ),
    "result_retention_days": localized(phrase("Keep headshots this many days (at most the bot's own setting)")),
    "export": localized(phrase("A link to one zip of everyone's favourite headshot (valid 24 hours)")),
}


@dataclass(frozen=True)
class DiscordAdminCheck:
    """`bot.chat.AdminCheck` for the member behind an interaction: Manage Server in that server."""

    interaction: discord.Interaction

    async def is_admin(self) -> bool:
        """Whether the member may manage the server the interaction comes from."""
        return self.interaction.guild_id is not None and self.interaction.permissions.manage_guild



def admin_commands(admin: WorkspaceAdmin, exports: Exports) -> list[Any]:
    """`/headshot-admin`."""

    @app_commands.command(
        name="headshot-admin", description=localized(phrase("Server admins: the brand kit for everyone's headshots"))
    )
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    @app_commands.describe(**ADMIN_HELP)
    @app_commands.default_permissions(manage_guild=True)
    async def headshot_admin(
        interaction: discord.Interaction,
        styles: app_commands.Range[str, 1, 200] | None = None,
        backgrounds: app_commands.Range[str, 1, 200] | None = None,
        attire: app_commands.Range[str, 1, 200] | None = None,
        aspect_ratios: app_commands.Range[str, 1, 200] | None = None,
        lock: bool | None = None,
        photo_keep_hours: float | None = None,
        result_retention_days: float | None = None,
        export: bool | None = None,
    ) -> None:
        locale = discord_locale(interaction)
        workspace = guild_workspace(interaction.guild_id)
        if workspace is None:
            await _answer(interaction, t(locale, "A brand kit belongs to a server: use /headshot-admin in one."))
            return
        if export:
            await _export(interaction, exports, workspace, locale)
            return
        given = {"style": styles, "background": backgrounds, "attire": attire, "aspect_ratio": aspect_ratios}
        keep = KeepFor(photo_keep_hours, result_retention_days)
        asker, by = DiscordAdminCheck(interaction), owner_key(interaction.user.id)
        try:
            await admin.require_admin(asker, locale)
            kit = await admin.kits.kit(workspace)
            if keep.shortens:
                own = await admin.retention.own(workspace)
                keep = KeepFor(
                    own.photo_hours if keep.photo_hours is None else keep.photo_hours,
                    own.result_days if keep.result_days is None else keep.result_days,
                )
                admin.retention.checked(keep, locale)  # refused before anything is saved
            if any(v is not None for v in given.values()) or lock is not None:
                allowed = {
                    name: parse_kit_words(name, text, locale) if text is not None else list(getattr(kit, name))
                    for name, text in given.items()
                }
                kit = BrandKit.build(allowed, lock=bool(lock), locale=locale)
                await admin.save_kit(workspace, kit, asker, by, locale)
            if keep.shortens:
                await admin.save_retention(workspace, keep, asker, by, locale)
            kept = describe_keep(locale, await admin.retention.in_force(workspace))
        except UserError as exc:
            await _answer(interaction, str(exc))
            return
        changed = any(v is not None for v in (*given.values(), lock, photo_keep_hours, result_retention_days))
        if changed:
            text = t(
                locale,
                "Saved. Headshots in this server now follow: {kit}. It keeps {keep}.",
                kit=kit.describe(locale),
                keep=kept,
            )
        else:
            text = t(
                locale, "Headshots in this server follow: {kit}. It keeps {keep}.", kit=kit.describe(locale), keep=kept
            )
        await _answer(interaction, text)

    return [headshot_admin]


async def _export(interaction: discord.Interaction, exports: Exports, workspace: str, locale: str | None) -> None:
    """A new link to one zip of everyone's favourite in the server."""
    try:
        url = await exports.issue(
            workspace=workspace,
            owner_prefix=OWNER_PREFIX,
            surface="discord",
            asker=DiscordAdminCheck(interaction),
            by=owner_key(interaction.user.id),
            locale=locale,
        )
    except UserError as exc:
        await _answer(interaction, str(exc))
        return
    await _answer(
        interaction,
        t(
            locale,
            "Everyone's favourite headshot in one zip, with people.csv; the link works "
            "for 24 hours, for anyone who has it: {url}",
            url=url,
        ),
    )


async def _answer(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(fit(text), ephemeral=True)
