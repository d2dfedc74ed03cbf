"""`python -m grassroots.cli`: the `grassroots` command, for child processes (job workers)."""

import sys

from grassroots.cli import main

sys.exit(main())
