"""Text as it goes out to Slack: escaped, so nothing in it can link or mention, and bounded.

Slack reads `<...>` in message text as links and mentions (`<!channel>`, `<!here>`,
`<!subteam^ID>`, `<@U123>`), and asks senders to escape `&`, `<` and `>` as `&amp;`, `&lt;`,
`&gt;`. Much of what the bot says quotes someone else (a file name, a word typed in a mention,
a provider's message), so every text is escaped whole; the few links the bot means to post
(a channel named in a note) are added after escaping.
"""

from __future__ import annotations

# Slack cuts a message's text at 40,000 characters and advises staying under 4,000.
MAX_TEXT = 3000


def escaped(text: str) -> str:
    """`text` with `&`, `<` and `>` escaped the way Slack asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message_text(text: str, *, keep_end: str = "", limit: int = MAX_TEXT) -> str:
    """`text` escaped and within `limit` characters, keeping `keep_end` (a delivery key) whole."""
    text = escaped(text)
    if len(text) <= limit:
        return text
    tail = f" … {keep_end}" if keep_end and text.endswith(keep_end) else "…"
    head = text[: limit - len(tail)]
    if "&" in head[-5:]:  # never cut an escape in half
        head = head[: head.rindex("&")]
    return head.rstrip() + tail
