"""``python -m pivotal.bench``: the ``pivotal bench`` command on its own."""

from .command import command

if __name__ == "__main__":
    command(prog_name="pivotal bench")
