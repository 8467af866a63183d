"""The application commands: `/headshot`, "Make headshots", `/headshot-status|settings|usage|forget`.

Every command is offered where a person may use it: in servers that added the bot, and, installed
by a person for themselves, in their DMs, group DMs and servers without the bot (`everywhere`).
Descriptions and choices are localized (`adapters.discord.translator`); answers speak the
person's language (`interaction.locale`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.admin import admin_commands
from adapters.discord.attachments import looks_like_image
from adapters.discord.intake import DiscordIntake, guild_workspace, owner_key
from adapters.discord.surface import fit
from adapters.discord.translator import discord_locale, localized
from bot.catalog import ProviderChoice
from bot.errors import UserError
from bot.export.publish import Exports
from bot.i18n import phrase, phrase_n, say, t, tn
from bot.intake import START_FAILED
from bot.labels import defaults_line, label_phrase
from bot.my_data.links import MyDataLinks
from bot.options import MAX_COUNT, MIN_COUNT, Options, members
from bot.photos import NAMED_TYPES
from bot.service import HeadshotService
from bot.workspace_admin import WorkspaceAdmin

log = logging.getLogger(__name__)

Tree = app_commands.CommandTree[discord.Client]
MAX_CHOICE_NAME = 100
MAX_CHOICES = 25

OPTION_HELP = {
    "provider": phrase("Who makes the headshots"),
    "style": phrase("The look of the headshots"),
    "background": phrase("What is behind you"),
    "attire": phrase("What you wear in the headshots"),
    "count": phrase("How many headshots (providers that make a fixed pack ignore this)"),
    "quality": phrase("Standard is faster; high has more detail"),
    "aspect_ratio": phrase("Width to height of the headshots"),
    "prompt": phrase("Anything else to ask for, in words"),
    "private": phrase("Send the status and the headshots to your direct messages instead"),
}


def everywhere(command: Any) -> Any:
    """Installable on servers and by people for themselves; usable in servers, the bot's DMs and group DMs."""
    command = app_commands.allowed_installs(guilds=True, users=True)(command)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(command)


def enum_choices(name: str) -> list[app_commands.Choice[str]]:
    """An option's allowed values as Discord choices, in the core's order, named by their labels."""
    return [app_commands.Choice(name=localized(label_phrase(member)), value=member.value) for member in members(name)]


def choice_name(choice: ProviderChoice, locale: str | None) -> str:
    """A provider as a choice: what is left of its allowance where a limit is set, else what it makes."""
    if choice.left:
        return f"{choice.capabilities.label} — {choice.left}"[:MAX_CHOICE_NAME]
    return say(locale, choice.capabilities.description)[:MAX_CHOICE_NAME]


def provider_choices(service: HeadshotService) -> list[app_commands.Choice[str]]:
    """The configured providers, each named by its description so users see what they get."""
    choices = []
    for p in service.providers:
        description = p.capabilities.description
        name = localized(description) if not isinstance(description, str) else description[:MAX_CHOICE_NAME]
        choices.append(app_commands.Choice(name=name, value=p.name))
    return choices


def count_choices() -> list[app_commands.Choice[int]]:
    """1 to 4 headshots."""
    return [
        app_commands.Choice(name=localized(phrase_n("1 headshot", "{n} headshots", n)), value=n)
        for n in range(MIN_COUNT, MAX_COUNT + 1)
    ]


def install_commands(
    tree: Tree,
    service: HeadshotService,
    intake: DiscordIntake,
    admin: WorkspaceAdmin,
    exports: Exports,
    my_data: MyDataLinks,
) -> None:
    """Add every command to the tree (synced to Discord at login)."""
    for command in (
        *job_commands(service, intake), *account_commands(service, my_data), *admin_commands(admin, exports)
    ):
        tree.add_command(command)
    tree.error(answer_failure)


def with_options(service: HeadshotService) -> Callable[[Any], Any]:
    """The option choices and help shared by `/headshot` and `/headshot-settings`.

    Choices are fixed when the commands are synced; with a quota in force the provider is
    suggested instead, to each user as they type, with what is left of it ("agent.ai — 3 left today").
    """

    async def providers_left(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        locale = discord_locale(interaction)
        owner, place = owner_key(interaction.user.id), guild_workspace(interaction.guild_id)
        offered = await service.choices(owner, place, locale)
        wanted = current.lower()
        return [
            app_commands.Choice(name=choice_name(p, locale), value=p.name)
            for p in offered
            if wanted in f"{p.name} {say(locale, p.capabilities.description)}".lower()
        ][:MAX_CHOICES]

    def decorate_all(callback: Any) -> Any:
        provider: dict[str, list[app_commands.Choice[str]]] = {}
        if service.limited:
            callback = app_commands.autocomplete(provider=providers_left)(callback)
        else:
            provider["provider"] = provider_choices(service)
        # Fresh decorators each time: discord.py keeps the dicts they are given and adds to them.
        for decorate in (
            app_commands.choices(count=count_choices()),
            app_commands.choices(
                **provider,
                style=enum_choices("style"),
                background=enum_choices("background"),
                attire=enum_choices("attire"),
                quality=enum_choices("quality"),
                aspect_ratio=enum_choices("aspect_ratio"),
            ),
            app_commands.describe(**{name: localized(text) for name, text in OPTION_HELP.items()}),
        ):
            callback = decorate(callback)
        return callback

    return decorate_all


def job_commands(service: HeadshotService, intake: DiscordIntake) -> list[Any]:
    """`/headshot` and the "Make headshots" message command."""

    @everywhere
    @app_commands.command(name="headshot", description=localized(phrase("Turn portrait photos into AI headshots")))
    @app_commands.describe(
        photo=localized(phrase("A clear portrait photo of you ({types})", types=NAMED_TYPES)),
        photo2=localized(phrase("Another photo of you (optional; some providers use several)")),
        photo3=localized(phrase("A third photo of you (optional)")),
    )
    @with_options(service)
    async def headshot(
        interaction: discord.Interaction,
        photo: discord.Attachment,
        photo2: discord.Attachment | None = None,
        photo3: discord.Attachment | None = None,
        provider: str | None = None,
        style: str | None = None,
        background: str | None = None,
        attire: str | None = None,
        count: int | None = None,
        quality: str | None = None,
        aspect_ratio: str | None = None,
        prompt: app_commands.Range[str, 1, 1000] | None = None,
        private: bool | None = None,
    ) -> None:
        values = {"style": style, "background": background, "attire": attire, "count": count,
                  "quality": quality, "aspect_ratio": aspect_ratio, "prompt": prompt, "private": private}
        photos = [a for a in (photo, photo2, photo3) if a is not None]
        await intake.start_job(interaction, photos, values, provider)

    @everywhere
    @app_commands.context_menu(name=localized(phrase("Make headshots")))
    async def make_headshots(interaction: discord.Interaction, message: discord.Message) -> None:
        photos = [a for a in message.attachments if looks_like_image(a)]
        if not photos:
            text = t(discord_locale(interaction), "That message has no photos attached. Use “Make headshots” on a "
                     "message with a portrait photo, or run /headshot and attach one.")
            await interaction.response.send_message(text, ephemeral=True)
            return
        await intake.start_job(interaction, photos, {}, None, anchor=message)

    return [headshot, make_headshots]


def _provider_label(service: HeadshotService, name: str) -> str:
    return next((p.capabilities.label for p in service.providers if p.name == name), name)


def account_commands(service: HeadshotService, my_data: MyDataLinks) -> list[Any]:
    """`/headshot-status`, `-settings`, `-usage`, `-my-data` and `-forget`: answers only the user sees."""

    @everywhere
    @app_commands.command(name="headshot-status", description=localized(phrase("Your recent headshot jobs")))
    async def status(interaction: discord.Interaction) -> None:
        locale = discord_locale(interaction)
        lines = await service.recent_jobs(owner_key(interaction.user.id), locale=locale)
        text = "\n".join(lines) if lines else t(locale, "You have no headshot jobs. Start one with /headshot.")
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @everywhere
    @app_commands.command(
        name="headshot-settings", description=localized(phrase("See or change your default headshot options"))
    )
    @with_options(service)
    async def settings(
        interaction: discord.Interaction,
        provider: str | None = None,
        style: str | None = None,
        background: str | None = None,
        attire: str | None = None,
        count: int | None = None,
        quality: str | None = None,
        aspect_ratio: str | None = None,
        prompt: app_commands.Range[str, 1, 1000] | None = None,
        private: bool | None = None,
    ) -> None:
        locale = discord_locale(interaction)
        owner = owner_key(interaction.user.id)
        saved, saved_provider = await service.defaults(owner)
        values = {"style": style, "background": background, "attire": attire, "count": count,
                  "quality": quality, "aspect_ratio": aspect_ratio, "prompt": prompt, "private": private}
        if all(v is None for v in values.values()) and provider is None:
            described = defaults_line(locale, saved, _provider_label(service, saved_provider))
            text = t(locale, "Your defaults: {defaults}. Pass options to change them.", defaults=described)
            await interaction.response.send_message(text[:2000], ephemeral=True)
            return
        try:
            options = Options.from_dict(values, base=saved)
            await service.save_defaults(owner, options, provider or saved_provider)
        except UserError as exc:
            await interaction.response.send_message(exc.say(locale)[:2000], ephemeral=True)
            return
        described = defaults_line(locale, options, _provider_label(service, provider or saved_provider))
        text = t(locale, "Saved. Your defaults: {defaults}.", defaults=described)
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @everywhere
    @app_commands.command(
        name="headshot-usage", description=localized(phrase("How many headshots you and this server have used"))
    )
    async def usage(interaction: discord.Interaction) -> None:
        locale = discord_locale(interaction)
        owner, place = owner_key(interaction.user.id), guild_workspace(interaction.guild_id)
        text = await service.usage(owner, place, locale)
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @everywhere
    @app_commands.command(
        name="headshot-forget", description=localized(phrase("Delete every photo, headshot and setting I keep of you"))
    )
    async def forget(interaction: discord.Interaction) -> None:
        removed = await service.forget(owner_key(interaction.user.id))
        text = tn(
            discord_locale(interaction),
            "Done: I deleted {n} job with its photos and headshots, your settings and your consent.",
            "Done: I deleted {n} jobs with their photos and headshots, your settings and your consent.",
            removed,
        )
        await interaction.response.send_message(text, ephemeral=True)

    @everywhere
    @app_commands.command(
        name="headshot-my-data", description=localized(phrase("A download of everything I keep about you"))
    )
    async def my_data_link(interaction: discord.Interaction) -> None:
        text = await my_data.answer(owner_key(interaction.user.id), discord_locale(interaction))
        await interaction.response.send_message(fit(text), ephemeral=True)

    return [status, settings, usage, my_data_link, forget]


# Failures that come from what Discord sent (a malformed or stale interaction), not from us.
_BAD_INPUT = (
    app_commands.TransformerError,
    app_commands.CommandSignatureMismatch,
    app_commands.CommandNotFound,
)


async def answer_failure(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """Any command failure ends as a sentence for the user, when Discord still lets us answer."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, discord.NotFound):
        log.warning("an interaction was gone before it could be answered: %s", cause)
        return
    if isinstance(error, _BAD_INPUT):
        log.warning("refused an interaction Discord sent malformed: %s", error)
    elif isinstance(cause, UserError):  # e.g. the store is away: the sentence says so
        log.warning("a Discord command was refused: %s", cause)
    else:
        log.error("a Discord command failed", exc_info=cause)
    locale = discord_locale(interaction)
    text = cause.say(locale) if isinstance(cause, UserError) else START_FAILED.say(locale)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not tell the user about a failed command: %s", exc)
