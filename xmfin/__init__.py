"""xmfin: who owns what, and who is licensed for what, inside financial groups."""

__version__ = "0.1.0"
