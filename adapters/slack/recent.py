"""What this process has already handled, remembered for a while so that nothing is done twice.

Slack repeats itself: an event is retried when the answer was slow, one message with files
arrives as `app_mention` and as `message`, and a signed request can be sent again within the
five minutes its signature is good for (a replayed `view_submission` would start a second job).
"""

from __future__ import annotations

from collections import OrderedDict


class RecentKeys:
    """Keys seen lately (the oldest are forgotten past `limit`)."""

    def __init__(self, limit: int = 5000) -> None:
        self._seen: OrderedDict[tuple[str, ...], None] = OrderedDict()
        self._limit = limit

    def claim(self, *key: str) -> bool:
        """True the first time a key is seen."""
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return True
