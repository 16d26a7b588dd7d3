"""``python -m analysis.cli`` runs the ``kommunebench`` command."""

from analysis.cli import main

raise SystemExit(main())
