"""What the bot says about a job, in words every surface can show, in the language of the job."""

from __future__ import annotations

import time

from bot.dates import short_date_time
from bot.i18n import t, tn
from bot.jobs import Job, JobState
from bot.labels import label
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


def elapsed(seconds: float, locale: str | None = None) -> str:
    """A short human duration: 45s, 3m 10s, 1h 05m."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return t(locale, "{seconds}s", seconds=seconds)
    if seconds < 3600:
        return t(locale, "{minutes}m {seconds}s", minutes=seconds // 60, seconds=f"{seconds % 60:02d}")
    return t(locale, "{hours}h {minutes}m", hours=seconds // 3600, minutes=f"{seconds % 3600 // 60:02d}")


def asked_for(job: Job, capabilities: Capabilities | None, locale: str | None = None) -> str:
    """What was asked for, in a few words: "3 headshots with Studio (Executive, Office, 3:4)"."""
    name = capabilities.label if capabilities else job.provider
    if capabilities and capabilities.min_outputs == capabilities.max_outputs:
        count = capabilities.max_outputs
    else:
        count = job.options.count
    what = tn(locale, "1 headshot with {provider}", "{n} headshots with {provider}", count, provider=name)
    opts = job.options
    if capabilities is None or {"style", "background"} & capabilities.honours:
        look = ", ".join((label(locale, opts.style), label(locale, opts.background), opts.aspect_ratio.value))
        return f"{what} ({look})"
    return what


def status_text(job: Job, capabilities: Capabilities | None, now: float | None = None) -> str:
    """The status message's text for a job as it stands, in the job's language."""
    locale = job.locale
    now = time.time() if now is None else now
    took = elapsed(now - job.created_at, locale)
    head = f"{_ICONS[job.state]} {asked_for(job, capabilities, locale)}"
    state = job.state
    wait = capabilities.expected_wait().say(locale) if capabilities else t(locale, "a while")
    if state is JobState.QUEUED:
        line = t(locale, "queued")
    elif state is JobState.GENERATING:
        line = t(locale, "generating (usually {wait})", wait=wait)
    elif state is JobState.WAITING:
        line = t(
            locale, "submitted; the provider usually takes {wait}. I'll post the results in this thread", wait=wait
        )
    elif state is JobState.FETCHING:
        line = t(locale, "results arrived; saving {done}/{total}", done=job.results_done, total=job.results_total)
    elif state is JobState.DELIVERING:
        line = t(locale, "posting the results in the thread")
    elif state is JobState.DELIVERED:
        line = tn(locale, "done: 1 in the thread", "done: {n} in the thread", job.results_done)
    else:
        line = t(locale, "failed: {reason}", reason=job.error or t(locale, "something went wrong"))
    return f"{head} — {line} · {took} · " + t(locale, "job {id}", id=job.short_id)


def job_line(job: Job, capabilities: Capabilities | None, locale: str | None) -> str:
    """One line of a person's job list, in their language: what was asked, when, and how it stands."""
    head = f"{_ICONS[job.state]} {asked_for(job, capabilities, locale)}"
    asked = short_date_time(locale, job.created_at)
    states = {
        JobState.QUEUED: t(locale, "queued"),
        JobState.GENERATING: t(locale, "generating"),
        JobState.WAITING: t(locale, "with the provider"),
        JobState.FETCHING: t(locale, "saving the results"),
        JobState.DELIVERING: t(locale, "posting the results"),
        JobState.FAILING: t(locale, "failed"),
        JobState.DELIVERED: tn(locale, "done: 1 headshot", "done: {n} headshots", job.results_done),
        JobState.FAILED: t(locale, "failed"),
    }
    line = states[job.state]
    if job.state in (JobState.FAILING, JobState.FAILED) and job.error:
        line = t(locale, "failed: {reason}", reason=job.error)
    asked_when = t(locale, "asked {when}", when=asked)
    return f"{head} — {line} · {asked_when} · " + t(locale, "job {id}", id=job.short_id)
