"""``python -m pivotal``: the ``pivotal`` command line."""

import sys

from .cli import main

sys.exit(main())
