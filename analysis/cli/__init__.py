"""The ``kommunebench`` command line.

Each sub-command lives with the code it runs: ``kommunebench CMD ARGS`` imports the module
named below and calls its ``main(argv)``. Imports are deferred so that ``kommunebench
municipalities`` does not pay for loading the estimation stack.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("analysis.data.synth", "write a synthetic register (Syntetisk Danmark) with planted truth"),
    "municipalities": ("analysis.core.municipalities", "print the 98 municipalities as CSV"),
    "aggregate": ("analysis.data.aggregate", "municipality × year table from a register"),
    "statbank": ("analysis.data.statbank", "fetch and parse Statistics Denmark (StatBank) tables"),
    "fit": ("analysis.cli.fit", "estimate the expected-caseload model and rank"),
    "tradeoff": ("analysis.model.tradeoff", "kontanthjælp–førtidspension trade-off and rank shifts"),
    "efficiency": ("analysis.yardsticks.frontier", "DEA efficiency frontier on job-centre expenditure"),
    "categories": ("analysis.yardsticks.categories", "STAR jobcenterindblik categories and KL's alternative"),
    "measures": ("analysis.yardsticks.measures", "KL's result measures (2010)"),
    "peers": ("analysis.yardsticks.peers", "comparison groups (sammenligningsgrupper)"),
    "report": ("analysis.run.batch", "render one case-municipality report"),
    "reports": ("analysis.run.batch", "render reports in batch (--all for all 98)"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: kommunebench COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {desc}" for name, (_, desc) in COMMANDS.items()]
    lines += ["", "`kommunebench COMMAND --help` describes each command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0
    if args[0] == "--version":
        from analysis import __version__

        print(__version__)
        return 0
    cmd, rest = args[0], args[1:]
    if cmd not in COMMANDS:
        print(f"kommunebench: unknown command {cmd!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[cmd][0])
    return int(module.main(rest, prog=f"kommunebench {cmd}", command=cmd) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
