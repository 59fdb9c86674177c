"""``python -m pivotal.lab``: the ``pivotal lab`` command."""

import sys

try:
    from .command import command
except ImportError as exc:  # click or rich missing: one line, no traceback
    sys.exit(f'Error: pivotal lab needs {exc.name or "click and rich"}: pip install "pivotal[lab]"')

if __name__ == "__main__":
    command(prog_name="pivotal lab")
