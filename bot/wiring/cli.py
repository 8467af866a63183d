"""The `headshot-bot` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.errors import UserError
from bot.logs import configure_logging
from bot.options import MAX_COUNT, MIN_COUNT, choices
from bot.quotas import QuotaSettingError
from bot.wiring.loops import loop_factory
from bot.wiring.provider_table import provider_names
from bot.wiring.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="headshot-bot", description="AI headshots in Slack and Discord.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", help="run the web server, chat platforms and job runner")
    gen = commands.add_parser("generate", help="make headshots from photos on disk")
    gen.add_argument("photos", nargs="*", type=Path, metavar="PHOTO")
    gen.add_argument("--sample", action="store_true", help="use a bundled sample portrait (no network)")
    gen.add_argument("--provider", choices=provider_names())
    gen.add_argument("--style", choices=choices("style"))
    gen.add_argument("--background", choices=choices("background"))
    gen.add_argument("--attire", choices=choices("attire"))
    gen.add_argument("--count", type=int, choices=range(MIN_COUNT, MAX_COUNT + 1), metavar=f"{MIN_COUNT}-{MAX_COUNT}")
    gen.add_argument("--quality", choices=choices("quality"))
    gen.add_argument("--aspect-ratio", choices=choices("aspect_ratio"), dest="aspect_ratio")
    gen.add_argument("--prompt")
    gen.add_argument("--out", type=Path, default=Path("headshots"))
    gen.add_argument("--timeout", type=float, help="seconds to wait for an asynchronous provider")
    gen.add_argument("--callback-port", type=int, help="local port for the callback route (default: PORT when "
                     "PUBLIC_BASE_URL is set, else any free port)")
    commands.add_parser("check", help="say what is configured and usable")
    usage = commands.add_parser("usage", help="print each workspace's and user's use of the quotas")
    usage.add_argument("--workspace", metavar="ID", help="one workspace (its key, or a team or server id)")
    commands.add_parser("slack-manifest", help="print the Slack app manifest")
    commands.add_parser("discord-invite", help="print the Discord invite URL")
    return parser

def setting_problem(exc: ValidationError) -> str:
    """The first bad setting in one line, naming its variable."""
    first = exc.errors()[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, QuotaSettingError):
        return str(cause)
    name = str(first["loc"][0]).upper() if first["loc"] else "a setting"
    return f"{name}: {str(first['msg']).removeprefix('Value error, ')}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"error: {setting_problem(exc)}", file=sys.stderr)
        return 2
    try:
        return _run(args, settings)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from bot.wiring.app import QUIET_LOGGERS
        from bot.wiring.serve import serve

        configure_logging(settings.secrets(), quiet=QUIET_LOGGERS, fmt=settings.log_format)
        factory = loop_factory(prefer_uvloop=settings.event_loop == "auto")
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(serve(settings, loops=factory))
        return 0
    if args.command == "generate":
        from bot.wiring.generate import GenerateArgs, run_generate

        configure_logging(settings.secrets(), level=30, fmt=settings.log_format)
        names = ("style", "background", "attire", "count", "quality", "aspect_ratio", "prompt")
        options = {n: str(getattr(args, n)) for n in names if getattr(args, n) is not None}
        gen = GenerateArgs(
            photos=args.photos,
            provider=args.provider,
            options=options,
            out=args.out,
            timeout=args.timeout,
            sample=args.sample,
            callback_port=args.callback_port,
        )
        return asyncio.run(run_generate(settings, gen))
    if args.command == "check":
        from bot.wiring.check import check_lines

        lines, ok = check_lines(settings)
        print("\n".join(lines))
        return 0 if ok else 1
    if args.command == "usage":
        from bot.wiring.usage_report import usage_report

        print(asyncio.run(usage_report(settings, args.workspace)))
        return 0
    if args.command == "slack-manifest":
        from adapters.slack.manifest import render_manifest

        if settings.slack_oauth and not settings.public_base_url:
            raise UserError("Slack for many workspaces needs PUBLIC_BASE_URL: Slack sends events and the "
                            "installing browser there (Socket Mode cannot serve many workspaces)")
        print(render_manifest(settings.public_base_url, oauth=settings.slack_client_id is not None))
        return 0
    if args.command == "discord-invite":
        from adapters.discord.invite import invite_text

        token = settings.discord_token
        print(invite_text(token.get_secret_value() if token else None))
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
