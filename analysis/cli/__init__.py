"""The ``kommunebench`` command line: every command in one place, with one error convention.

Commands are defined in :mod:`analysis.cli.commands` (options, help and a handler each);
computation modules have no argparse and write no files. :func:`main` is the one wrapper:

* a user error — a bad parameter, a bad input file, an unwritable output — prints
  ``kommunebench CMD: error: <message>`` on one line on stderr and exits 2, with no traceback
  (set ``KOMMUNEBENCH_DEBUG=1`` to see one);
* Ctrl-C prints ``kommunebench CMD: interrupted`` and exits 130;
* a closed output pipe (``kommunebench municipalities | head``) ends quietly;
* no command prints the usage on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence

PROG = "kommunebench"


class ArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: ``kommunebench CMD: error: …`` (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


class CommandParser(ArgumentParser):
    """A command's parser, configured on first use: ``kommunebench fit`` does not import what
    ``kommunebench efficiency`` needs to describe its options, so every command starts fast."""

    configure: Callable[[argparse.ArgumentParser], None] | None = None

    def _ready(self) -> None:
        configure, self.configure = self.configure, None
        if configure is not None:
            configure(self)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        self._ready()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._ready()
        return super().format_help()

    def format_usage(self) -> str:
        self._ready()
        return super().format_usage()


def user_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean bad input (one line, exit 2) rather than a bug."""
    from analysis.core.municipalities import UnknownMunicipalityError
    from analysis.core.params import ParameterError
    from analysis.core.validate import InputError
    from analysis.data.statbank import StatBankError

    return (ParameterError, InputError, UnknownMunicipalityError, StatBankError, ValueError, OSError)


def build_parser() -> ArgumentParser:
    from analysis.cli.commands import COMMANDS

    parser = ArgumentParser(
        prog=PROG,
        description="Open, re-runnable benchmarks of the employment efforts of Denmark's 98 municipalities.",
        epilog="`kommunebench COMMAND --help` describes each command's options.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.description or cmd.help)
        p.configure = cmd.configure
        p.set_defaults(_command=cmd)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kommunebench ARGS``; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    prog = PROG
    try:
        parser = build_parser()
        if not args_list:
            parser.print_usage(sys.stderr)
            print(f"{PROG}: error: no command given; `{PROG} --help` lists the commands", file=sys.stderr)
            return 2
        if args_list == ["--version"]:
            from analysis import __version__

            print(__version__)
            return 0
        args = parser.parse_args(args_list)
        cmd = getattr(args, "_command", None)
        if cmd is None:
            parser.print_usage(sys.stderr)
            print(f"{PROG}: error: no command given; `{PROG} --help` lists the commands", file=sys.stderr)
            return 2
        prog = f"{PROG} {cmd.name}"
        try:
            return int(cmd.run(args) or 0)
        except BrokenPipeError:
            raise  # an OSError, but not the user's: handled below
        except user_errors() as exc:
            if os.environ.get("KOMMUNEBENCH_DEBUG"):
                raise
            print(f"{prog}: error: {one_line(exc)}", file=sys.stderr)
            return 2
    except KeyboardInterrupt:
        # on a terminal, start a new line after the echoed ^C (or a progress bar)
        lead = "\n" if sys.stderr.isatty() else ""
        print(f"{lead}{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, and keep Python from complaining at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (a multi-line message is joined with '; ').

    An operating-system error reads ``PATH: reason`` (``/x/y: Not a directory``), without
    Python's ``[Errno 20]`` prefix.
    """
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
        if exc.filename is not None:
            text = f"{exc.filename}: {text}"
        if exc.filename2 is not None:
            text = f"{text}: {exc.filename2}"
    lines = [re.sub(r"^\s*-\s+", "", ln).strip() for ln in text.splitlines() if ln.strip()]
    out = ""
    for ln in lines:
        out += ln if not out else (f" {ln}" if out.endswith(":") else f"; {ln}")
    return out


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
