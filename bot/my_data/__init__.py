"""A person's copy of everything the bot keeps about them: one zip behind a link that lasts a day.

`links` issues and opens the links (an unguessable token; only its hash is stored), `archive`
gathers what goes in the zip, `routes` serves it with the gallery's headers and refusals.
"""
