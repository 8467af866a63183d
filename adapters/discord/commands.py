"""The application commands: `/headshot`, "Make headshots", `/headshot-status|settings|usage|forget`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.attachments import looks_like_image
from adapters.discord.consent import locale_of
from adapters.discord.intake import DiscordIntake, owner_key, workspace_key
from adapters.discord.surface import fit
from bot.catalog import ProviderChoice
from bot.errors import UserError
from bot.i18n import tn
from bot.intake import START_FAILED
from bot.my_data.links import MyDataLinks
from bot.options import MAX_COUNT, MIN_COUNT, Options, choices
from bot.photos import NAMED_TYPES
from bot.service import HeadshotService

log = logging.getLogger(__name__)

Tree = app_commands.CommandTree[discord.Client]
MAX_CHOICE_NAME = 100
MAX_CHOICES = 25

OPTION_HELP = {
    "provider": "Who makes the headshots",
    "style": "The look of the headshots",
    "background": "What is behind you",
    "attire": "What you wear in the headshots",
    "count": "How many headshots (providers that make a fixed pack ignore this)",
    "quality": "Standard is faster; high has more detail",
    "aspect_ratio": "Width to height of the headshots",
    "prompt": "Anything else to ask for, in words",
    "private": "Send the status and the headshots to your direct messages instead",
}


def enum_choices(name: str) -> list[app_commands.Choice[str]]:
    """An option's allowed values as Discord choices, in the core's order."""
    return [app_commands.Choice(name=value.replace("_", " "), value=value) for value in choices(name)]


def choice_name(choice: ProviderChoice) -> str:
    """A provider as a choice: what is left of its allowance where a limit is set, else what it makes."""
    if choice.left:
        return f"{choice.capabilities.label} — {choice.left}"[:MAX_CHOICE_NAME]
    return choice.capabilities.description[:MAX_CHOICE_NAME]


def provider_choices(service: HeadshotService) -> list[app_commands.Choice[str]]:
    """The configured providers, each named by its description so users see what they get."""
    return [
        app_commands.Choice(name=p.capabilities.description[:MAX_CHOICE_NAME], value=p.name)
        for p in service.providers
    ]


COUNT_CHOICES = [
    app_commands.Choice(name=f"{n} headshot{'s' if n > 1 else ''}", value=n) for n in range(MIN_COUNT, MAX_COUNT + 1)
]


def describe_defaults(options: Options, provider: str) -> str:
    """A user's defaults in one sentence."""
    values = options.to_dict()
    prompt = f", prompt “{values['prompt']}”" if values["prompt"] else ""
    where = "sent to you privately" if options.private else "posted where you ask"
    return (
        f"provider {provider}, style {values['style']}, background {values['background']}, "
        f"attire {values['attire']}, count {values['count']}, quality {values['quality']}, "
        f"aspect ratio {values['aspect_ratio']}{prompt}; results {where}"
    )


def install_commands(tree: Tree, service: HeadshotService, intake: DiscordIntake, my_data: MyDataLinks) -> None:
    """Add every command to the tree (synced to Discord at login)."""
    for command in (*job_commands(service, intake), *account_commands(service, my_data)):
        tree.add_command(command)
    tree.error(answer_failure)


def with_options(service: HeadshotService) -> Callable[[Any], Any]:
    """The option choices and help shared by `/headshot` and `/headshot-settings`.

    Choices are fixed when the commands are synced; with a quota in force the provider is
    suggested instead, to each user as they type, with what is left of it ("agent.ai — 3 left today").
    """

    async def providers_left(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        offered = await service.choices(owner_key(interaction.user.id), workspace_key(interaction.guild_id))
        wanted = current.lower()
        return [
            app_commands.Choice(name=choice_name(p), value=p.name)
            for p in offered
            if wanted in f"{p.name} {p.capabilities.description}".lower()
        ][:MAX_CHOICES]

    def decorate_all(callback: Any) -> Any:
        provider: dict[str, list[app_commands.Choice[str]]] = {}
        if service.limited:
            callback = app_commands.autocomplete(provider=providers_left)(callback)
        else:
            provider["provider"] = provider_choices(service)
        # Fresh decorators each time: discord.py keeps the dicts they are given and adds to them.
        for decorate in (
            app_commands.choices(count=list(COUNT_CHOICES)),
            app_commands.choices(
                **provider,
                style=enum_choices("style"),
                background=enum_choices("background"),
                attire=enum_choices("attire"),
                quality=enum_choices("quality"),
                aspect_ratio=enum_choices("aspect_ratio"),
            ),
            app_commands.describe(**OPTION_HELP),
        ):
            callback = decorate(callback)
        return callback

    return decorate_all


def job_commands(service: HeadshotService, intake: DiscordIntake) -> list[Any]:
    """`/headshot` and the "Make headshots" message command."""

    @app_commands.command(name="headshot", description="Turn portrait photos into AI headshots")
    @app_commands.describe(
        photo=f"A clear portrait photo of you ({NAMED_TYPES})",
        photo2="Another photo of you (optional; some providers use several)",
        photo3="A third photo of you (optional)",
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

    @app_commands.context_menu(name="Make headshots")
    async def make_headshots(interaction: discord.Interaction, message: discord.Message) -> None:
        photos = [a for a in message.attachments if looks_like_image(a)]
        if not photos:
            await interaction.response.send_message(
                "That message has no photos attached. Use “Make headshots” on a message with a portrait photo, "
                "or run /headshot and attach one.",
                ephemeral=True,
            )
            return
        await intake.start_job(interaction, photos, {}, None, anchor=message)

    return [headshot, make_headshots]


def account_commands(service: HeadshotService, my_data: MyDataLinks) -> list[Any]:
    """`/headshot-status`, `-settings`, `-usage`, `-my-data` and `-forget`: answers only the user sees."""

    @app_commands.command(name="headshot-status", description="Your recent headshot jobs")
    async def status(interaction: discord.Interaction) -> None:
        lines = await service.recent_jobs(owner_key(interaction.user.id))
        text = "\n".join(lines) if lines else "You have no headshot jobs. Start one with /headshot."
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @app_commands.command(name="headshot-settings", description="See or change your default headshot options")
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
        owner = owner_key(interaction.user.id)
        saved, saved_provider = await service.defaults(owner)
        values = {"style": style, "background": background, "attire": attire, "count": count,
                  "quality": quality, "aspect_ratio": aspect_ratio, "prompt": prompt, "private": private}
        if all(v is None for v in values.values()) and provider is None:
            text = f"Your defaults: {describe_defaults(saved, saved_provider)}. Pass options to change them."
            await interaction.response.send_message(text[:2000], ephemeral=True)
            return
        try:
            options = Options.from_dict(values, base=saved)
            await service.save_defaults(owner, options, provider or saved_provider)
        except UserError as exc:
            await interaction.response.send_message(str(exc)[:2000], ephemeral=True)
            return
        text = f"Saved. Your defaults: {describe_defaults(options, provider or saved_provider)}."
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @app_commands.command(name="headshot-usage", description="How many headshots you and this server have used")
    async def usage(interaction: discord.Interaction) -> None:
        text = await service.usage(owner_key(interaction.user.id), workspace_key(interaction.guild_id))
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @app_commands.command(name="headshot-forget", description="Delete every photo, headshot and setting I keep of you")
    async def forget(interaction: discord.Interaction) -> None:
        removed = await service.forget(owner_key(interaction.user.id))
        text = tn(
            locale_of(interaction),
            "Done: I deleted {n} job with its photos and headshots, your settings and your consent.",
            "Done: I deleted {n} jobs with their photos and headshots, your settings and your consent.",
            removed,
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="headshot-my-data", description="A download of everything I keep about you")
    async def my_data_link(interaction: discord.Interaction) -> None:
        text = await my_data.answer(owner_key(interaction.user.id), locale_of(interaction))
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
    text = str(cause) if isinstance(cause, UserError) else START_FAILED
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not tell the user about a failed command: %s", exc)
