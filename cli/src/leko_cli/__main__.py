"""`python -m leko_cli ...` runs the `leko` command."""

from leko_cli.main import main

main()
