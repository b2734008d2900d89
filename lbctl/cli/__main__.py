"""`python -m lbctl.cli`."""

from lbctl.cli import main

main()
