"""Slash commands in every language the bot speaks: Discord's `name_localizations` and
`description_localizations`, filled from the same catalogs as every message.

A command's description, an option's description and a choice's name are written as
`localized(phrase(...))`: the English text is what Discord shows by default, and discord.py asks
`CatalogTranslator` for each of its locales when it syncs the commands. Slash command and option
names stay English everywhere (Discord's lowercase rules apply to them, and people type them); a
message menu's name ("Make headshots") is read, not typed, and is translated.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import Phrase, language

MAX_DESCRIPTION = 100  # Discord's limit for descriptions and choice names
MAX_MENU_NAME = 32


def localized(text: Phrase) -> app_commands.locale_str:
    """A description or choice name whose translations come from the catalogs."""
    return app_commands.locale_str(str(text)[:MAX_DESCRIPTION], phrase=text)


def discord_locale(interaction: discord.Interaction) -> str:
    """The language of the person behind an interaction, as a BCP 47 tag ("de", "pt-BR")."""
    return str(interaction.locale.value)


def audience_locale(interaction: discord.Interaction) -> str:
    """The language of what everybody in the place reads: the server's, else the person's own."""
    found = interaction.guild_locale
    return str(found.value) if found is not None else discord_locale(interaction)


class CatalogTranslator(app_commands.Translator):
    """discord.py's translator hook on our catalogs; names are never translated."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        """The text in `locale`, or None where it stays English (no catalog, a name, nothing to translate)."""
        location = context.location
        names = app_commands.TranslationContextLocation
        menu = location is names.command_name and isinstance(context.data, app_commands.ContextMenu)
        if location in (names.command_name, names.group_name, names.parameter_name) and not menu:
            return None
        text = string.extras.get("phrase")
        if not isinstance(text, Phrase) or language(locale.value) is None:
            return None
        translated = text.say(locale.value)[: MAX_MENU_NAME if menu else MAX_DESCRIPTION]
        return translated if translated != string.message else None
