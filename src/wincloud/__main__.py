"""``python -m wincloud``: the same as the ``wincloud`` command."""

from wincloud.cli import main

# A command that ends with ctx.exit(status) makes main() return the status (click's
# non-standalone mode): hand it to the interpreter, as the console script's wrapper does.
raise SystemExit(main())
