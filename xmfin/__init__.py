"""xmfin: who owns what, and who is licensed for what, inside financial groups.

The library API is offered lazily, so that `import xmfin` (and the command line's `--help`) stays light:

    >>> from xmfin import explore
    >>> xm = explore(as_of="2019")        # the bundled dataset at the end of 2019
    >>> xm.matrix(core=True).rows[0].held

`load(path=None)` gives the Dataset of a data folder; `Explorer(dataset, as_of)` (or `explore`) asks it the
questions of the commands (tree, chain, show, gaps, matrix, licences, search, sources, timeline).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from xmfin.api import Chain, Explorer, bundled_data, explore, load
    from xmfin.errors import DataError, UnknownName, UsageError, XmfinError
    from xmfin.model import Dataset

# Public name -> the module that defines it, imported on first use.
_LAZY = {
    "load": "xmfin.api",
    "explore": "xmfin.api",
    "Explorer": "xmfin.api",
    "Chain": "xmfin.api",
    "bundled_data": "xmfin.api",
    "Dataset": "xmfin.model",
    "XmfinError": "xmfin.errors",
    "DataError": "xmfin.errors",
    "UsageError": "xmfin.errors",
    "UnknownName": "xmfin.errors",
}

__all__ = [
    "Chain",
    "DataError",
    "Dataset",
    "Explorer",
    "UnknownName",
    "UsageError",
    "XmfinError",
    "__version__",
    "bundled_data",
    "explore",
    "load",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xmfin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
