"""What the bot says about a job, in words every surface can show."""

from __future__ import annotations

import time

from bot.jobs import Job, JobState
from bot.request import Capabilities

_ICONS = {
    JobState.QUEUED: "⏳",
    JobState.GENERATING: "🎨",
    JobState.WAITING: "🕰️",
    JobState.FETCHING: "📥",
    JobState.DELIVERING: "📤",
    JobState.FAILING: "⚠️",
    JobState.DELIVERED: "✅",
    JobState.FAILED: "❌",
}


def elapsed(seconds: float) -> str:
    """A short human duration: 45s, 3m 10s, 1h 05m."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def asked_for(job: Job, capabilities: Capabilities | None) -> str:
    """What was asked for, in a few words: "3 headshots with Studio (executive, office, 3:4)"."""
    label = capabilities.label if capabilities else job.provider
    if capabilities and capabilities.min_outputs == capabilities.max_outputs:
        count = capabilities.max_outputs
    else:
        count = job.options.count
    noun = "headshot" if count == 1 else "headshots"
    opts = job.options
    if capabilities is None or {"style", "background"} & capabilities.honours:
        detail = f" ({opts.style.value}, {opts.background.value}, {opts.aspect_ratio.value})"
    else:
        detail = ""
    return f"{count} {noun} with {label}{detail}"


def status_text(job: Job, capabilities: Capabilities | None, now: float | None = None) -> str:
    """The status message's text for a job as it stands."""
    now = time.time() if now is None else now
    took = elapsed(now - job.created_at)
    head = f"{_ICONS[job.state]} {asked_for(job, capabilities)}"
    state = job.state
    if state is JobState.QUEUED:
        line = "queued"
    elif state is JobState.GENERATING:
        wait = capabilities.expected_wait() if capabilities else "a while"
        line = f"generating (usually {wait})"
    elif state is JobState.WAITING:
        wait = capabilities.expected_wait() if capabilities else "a while"
        line = f"submitted; the provider usually takes {wait}. I'll post the results in this thread"
    elif state is JobState.FETCHING:
        line = f"results arrived; saving {job.results_done}/{job.results_total}"
    elif state is JobState.DELIVERING:
        line = "posting the results in the thread"
    elif state is JobState.DELIVERED:
        line = f"done: {job.results_done} in the thread"
    else:
        line = f"failed: {job.error or 'something went wrong'}"
    return f"{head} — {line} · {took} · job {job.short_id}"
