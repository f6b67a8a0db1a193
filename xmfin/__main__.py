"""`python -m xmfin`."""

from xmfin.console import main

main()
