"""The ``yorisoi`` command: serve, check, status, staff, risk, faq, standin, simulate.

Each sub-command is a small function; settings come from the environment
(``yorisoi.config``), and a bad setting stops the command with one line naming it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from yorisoi import logs
from yorisoi.config import Settings, SettingsError, load_settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "content", None):
        overrides["content_dir"] = Path(args.content)
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "host", None):
        overrides["host"] = args.host
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        print(f"yorisoi: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the web app (demo mode without LINE credentials)."""
    from aiohttp import web

    from yorisoi import keys
    from yorisoi.app import create_app
    from yorisoi.content import ContentError
    from yorisoi.store import StoreError

    settings = _settings(args)
    logs.configure(settings.log_level)
    app = create_app(settings)

    async def announce(app: web.Application) -> None:
        base = f"http://{'127.0.0.1' if settings.bind_host in ('0.0.0.0', '::') else settings.bind_host}:{settings.port}"
        lines = [
            f"yorisoi is running on {base}  (webhook: {base}/callback, health: {base}/healthz)"
        ]
        if settings.demo:
            lines += [
                "DEMO MODE: no LINE credentials set; a local stand-in plays the LINE platform at "
                f"{app[keys.LINE_ENDPOINT]}",
                f"  chat as a user:  {base}/demo",
            ]
            login, password = app[keys.DEMO_ACCOUNT]
            shown = password or "(unknown: delete var/ to start the demo afresh)"
            lines += [
                f"  operator view:   {base}/operator   (demo account: login {login}, password {shown})",
                f"  operator API:    {base}/api/openapi.json",
                f"  on-call alerts for risk to life go to the stand-in user {settings.oncall_user}",
            ]
        print("\n".join(lines), flush=True)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(
            signal.SIGHUP, lambda: asyncio.ensure_future(app[keys.CONTENT].reload())
        )

    app.on_startup.append(announce)
    try:
        web.run_app(
            app, host=settings.bind_host, port=settings.port, print=None, handler_cancellation=True
        )
    except ContentError as exc:
        print(f"yorisoi: {exc}", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"yorisoi: YORISOI_DATABASE_URL: cannot open the store: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate all content; print file:line: message per problem."""
    from yorisoi.content import check_content, content_notes

    content = Path(args.content) if args.content else _settings(args).content_dir
    problems = check_content(content)
    for problem in problems:
        print(problem)
    for note in content_notes(content):
        print(f"note: {note}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"content in {content} is valid")
    return 0


def cmd_standin(args: argparse.Namespace) -> int:
    """Run the Messaging API stand-in alone, to point LINE_API_ENDPOINT at."""
    from aiohttp import web

    from yorisoi.line.standin import StandIn

    standin = StandIn(access_token=args.access_token)
    print(
        f"LINE Messaging API stand-in on http://{args.host}:{args.port} "
        f"(access token: {args.access_token})",
        flush=True,
    )
    web.run_app(
        standin.make_app(), host=args.host, port=args.port, print=None, handler_cancellation=True
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print what needs an admin's attention; exit 1 if anything does."""
    from yorisoi.status import status

    return asyncio.run(status(_settings(args)))


def cmd_staff_add(args: argparse.Namespace) -> int:
    """Create a staff account; the password comes from stdin, never from the command line."""
    from yorisoi.admin.staff import StaffInputError, add_staff
    from yorisoi.clock import SystemClock
    from yorisoi.store import open_store
    from yorisoi.store.records import AlreadyExists

    settings = _settings(args)
    if not args.password_stdin:
        print("yorisoi: give the password on standard input with --password-stdin", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n")

    async def create() -> int:
        store = await open_store(settings.database_url)
        try:
            topics = [t.strip() for t in (args.topics or "").split(",") if t.strip()]
            member = await add_staff(
                store,
                args.login,
                args.role,
                password,
                SystemClock().now(),
                display_name=args.name,
                topics=topics,
            )
        except (StaffInputError, AlreadyExists) as exc:
            print(f"yorisoi: {exc}", file=sys.stderr)
            return 1
        finally:
            await store.close()
        print(f"added {member.role} {member.login} ({member.display_name})")
        return 0

    return asyncio.run(create())


def cmd_risk(args: argparse.Namespace) -> int:
    """Screen one message per line of stdin; print one JSON object per line."""
    from yorisoi.safety.cli import risk_main
    from yorisoi.safety.lexicon import DEFAULT_LEXICON

    lexicon = (
        Path(args.content) / "states" / "safety" / "lexicon.yaml"
        if args.content
        else DEFAULT_LEXICON
    )
    return risk_main(sys.stdin, sys.stdout, lexicon=lexicon)


def cmd_faq(args: argparse.Namespace) -> int:
    """Match stdin lines against the FAQ (JSON lines), or explain how one text is scored."""
    import os

    # One BLAS thread, set before numpy loads: more threads only add latency spikes (FACTS).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from yorisoi.faq.cli import faq_explain_main, faq_match_main

    content = Path(args.content) if args.content else _settings(args).content_dir
    if args.faq_command == "match":
        return faq_match_main(sys.stdin, sys.stdout, faq_dir=content / "faq")
    return faq_explain_main(args.text, sys.stdout, faq_dir=content / "faq")


def cmd_simulate(args: argparse.Namespace) -> int:
    """Sign a LINE-shaped event with LINE_CHANNEL_SECRET and post it to a running yorisoi."""
    from yorisoi.simulate import simulate

    return asyncio.run(simulate(args))


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``yorisoi`` command."""
    parser = argparse.ArgumentParser(prog="yorisoi", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app (demo mode without LINE credentials)")
    serve.add_argument("--host", help="address to listen on (YORISOI_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (PORT)")
    serve.add_argument("--content", help="content folder with faq/, states/, operators/")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check", help="validate content; exit 1 listing file:line: problem")
    check.add_argument("--content", help="content folder (default: YORISOI_CONTENT_DIR)")
    check.set_defaults(func=cmd_check)

    status = sub.add_parser("status", help="inbox/outbox counts, content versions, push quota")
    status.set_defaults(func=cmd_status)

    staff = sub.add_parser("staff", help="staff accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    staff_add = staff_sub.add_parser("add", help="add a responder, supervisor or admin")
    staff_add.add_argument("login")
    staff_add.add_argument("--role", required=True, choices=["responder", "supervisor", "admin"])
    staff_add.add_argument("--name", help="display name shown to users (up to 20 characters)")
    staff_add.add_argument(
        "--topics",
        help="a responder's topics, comma-separated (youth,mothers,general); default: all",
    )
    staff_add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password (12+ characters) from standard input",
    )
    staff_add.set_defaults(func=cmd_staff_add)

    risk = sub.add_parser("risk", help="risk level of each stdin line, as JSON lines")
    risk.add_argument("--content", help="content folder holding states/safety/lexicon.yaml")
    risk.set_defaults(func=cmd_risk)

    faq = sub.add_parser("faq", help="FAQ matcher for tuning: match stdin lines, explain one text")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True)
    faq_match = faq_sub.add_parser(
        "match", help="one JSON object per stdin line: the answer the bot would give"
    )
    faq_match.add_argument("--content", help="content folder holding faq/")
    faq_match.set_defaults(func=cmd_faq)
    faq_explain = faq_sub.add_parser(
        "explain", help="tokens, normalised forms and scores of one text"
    )
    faq_explain.add_argument("text")
    faq_explain.add_argument("--content", help="content folder holding faq/")
    faq_explain.set_defaults(func=cmd_faq)

    standin = sub.add_parser("standin", help="run the local LINE Messaging API stand-in alone")
    standin.add_argument("--host", default="127.0.0.1")
    standin.add_argument("--port", type=int, default=8090)
    standin.add_argument("--access-token", default="standin-token")
    standin.set_defaults(func=cmd_standin)

    sim = sub.add_parser("simulate", help="post a signed LINE event to a running yorisoi")
    sim.add_argument(
        "event", choices=["follow", "unfollow", "text", "sticker", "image", "postback"]
    )
    sim.add_argument("--text", default="こんにちは", help="text of a text message")
    sim.add_argument("--data", default="", help="postback data")
    sim.add_argument("--user", default="U" + "0" * 31 + "1", help="LINE user id (U + 32 hex)")
    sim.add_argument("--url", default="http://127.0.0.1:8080/callback")
    sim.add_argument("--standin", help="stand-in URL to get a valid reply token from")
    sim.add_argument("--forge", action="store_true", help="sign with a wrong secret")
    sim.add_argument("--unblocked", action="store_true", help="follow after a block")
    sim.set_defaults(func=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
