"""`python -m qualkit.cli`: the same as the `qualkit` command."""

from qualkit.cli.main import main

main()
