"""``python -m pivotal.lab``: the ``pivotal lab`` command."""

from .command import command

if __name__ == "__main__":
    command(prog_name="pivotal lab")
