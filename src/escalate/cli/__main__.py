"""``python -m escalate.cli``: the command line, as the ``escalate`` script runs it."""

from escalate.cli import main

raise SystemExit(main())
