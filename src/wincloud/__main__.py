"""``python -m wincloud``: the same as the ``wincloud`` command."""

from wincloud.cli import main

main()
