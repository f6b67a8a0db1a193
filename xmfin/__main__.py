"""`python -m xmfin`."""

from xmfin.cli import main

main()
