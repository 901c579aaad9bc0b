"""Allow ``python -m planner``."""

import sys

from planner.entry_point import main

sys.exit(main())
