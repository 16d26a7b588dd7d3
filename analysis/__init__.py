"""kommunebench: open, re-runnable benchmarks of Danish municipalities' employment efforts.

The package estimates the expected-caseload model (actual vs expected full-time persons on
public benefits given each municipality's framework conditions), measures the
kontanthjælp–førtidspension trade-off, computes the other yardsticks (efficiency frontier,
jobcenterindblik categories, KL's result measures) and renders Danish reports.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kommunebench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
