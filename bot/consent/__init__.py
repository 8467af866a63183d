"""Consent before any photo is touched, and the person's rights over what is kept (`bot.my_data`).

`records` holds what is stored, `terms` what the question says, `gate` the rule every chat
surface asks before fetching a photo: no agreement to the terms in force, no processing.
"""
