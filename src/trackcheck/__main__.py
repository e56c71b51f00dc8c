"""Run the trackcheck CLI with ``python -m trackcheck``."""

import sys

from trackcheck.cli import main

sys.exit(main())
