"""``python -m pivotal.cli``: the ``pivotal`` command."""

import sys

from . import main

sys.exit(main())
