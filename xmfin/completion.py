"""Shell completion of xmfin's arguments: entity ids and names, group ids, licence families and categories.

Typer calls these only when a shell asks for completions (`xmfin --install-completion` sets that up for bash,
zsh and fish), so they import the loader and read the data folder then, never when a command or `--help` runs.
The folder is the one the command line names with `--data` (when typed before the word being completed), else
$XMFIN_DATA, else the bundled dataset; an unreadable or invalid folder completes nothing, silently.

Names are offered where they are one printable word (Chinese names, aliases such as `WeBank`): a name with
spaces would need quoting that each shell does differently, and a control character would reach the terminal.
The id, which every command accepts, is always offered, with the name beside it where the shell shows help (zsh,
fish), its control characters shown escaped by `terminal_text`.
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xmfin.model import Dataset

EXPORT_FORMATS = [
    ("json", "one JSON document"),
    ("jsonl", "JSON Lines, one record a line"),
    ("csv", "a folder of CSV tables"),
    ("parquet", "a folder of Parquet tables (needs pyarrow)"),
    ("graphml", "GraphML graph"),
    ("gexf", "GEXF graph (Gephi)"),
    ("dot", "Graphviz"),
    ("mermaid", "Mermaid flowchart"),
    ("bods", "Beneficial Ownership Data Standard 0.4"),
    ("ftm", "FollowTheMoney entities"),
]
SCHEMA_FILES = [("entities", "entities.yaml"), ("licences", "licences.yaml")]


def _dataset(ctx: Any) -> "Dataset | None":
    """The records of the folder the command line points at, or None when it cannot be read."""
    try:
        given = getattr(ctx, "params", {}).get("data") if ctx is not None else None
        if given:
            folder = Path(given)
        elif os.environ.get("XMFIN_DATA"):
            folder = Path(os.environ["XMFIN_DATA"])
        else:
            from xmfin.api import bundled_data

            folder = bundled_data()
        from xmfin.storage.loading import load

        return load(folder)
    except Exception:  # completion never prints an error into the user's command line
        return None


def _one_word(text: str) -> bool:
    """A name the shell can take as it is: one word, printable (no control or bidirectional character, which
    would reach the terminal raw or break the completion protocol's lines), nothing the shell would expand."""
    return text.isprintable() and bool(text) and not any(c.isspace() or c in "'\"\\$`" for c in text)


def _matching(pairs: list[tuple[str, str]], incomplete: str) -> list[tuple[str, str]]:
    """The (value, help) pairs whose value starts with what was typed (case-insensitive), each value once."""
    from xmfin.textsafe import terminal_text

    typed = incomplete.casefold()
    seen: dict[str, tuple[str, str]] = {}
    for value, help_ in pairs:
        key = value.casefold()  # `Xiaomi` is not offered beside the id `xiaomi`: both name the same
        if key.startswith(typed) and key not in seen:
            # The help is data shown by zsh and fish beside the value: a line feed in it would start a new
            # completion line, an ESC reach the terminal.
            seen[key] = (value, terminal_text(help_))
    return list(seen.values())


def entities(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Entity ids (with the name as help), then one-word names and aliases (with the id)."""
    data = _dataset(ctx)
    if data is None:
        return []
    pairs = [(entity.id, entity.name) for entity in data.entities.values()]
    pairs.extend((name, entity.id) for entity in data.entities.values() for name in entity.names() if _one_word(name))
    return _matching(pairs, incomplete)


def targets(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """What tree and diagram start from: entities, and groups (their root)."""
    return _matching(groups(ctx, incomplete) + entities(ctx, incomplete), incomplete)


def groups(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Group ids, with the name as help."""
    data = _dataset(ctx)
    if data is None:
        return []
    pairs = [(group.id, group.name) for group in data.groups.values()]
    pairs.extend((group.name, group.id) for group in data.groups.values() if _one_word(group.name))
    return _matching(pairs, incomplete)


def families(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Licence family ids, with the name as help."""
    data = _dataset(ctx)
    if data is None:
        return []
    return _matching([(family.id, family.name) for family in data.families.values()], incomplete)


def categories(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Licence category ids, with the name as help."""
    data = _dataset(ctx)
    if data is None:
        return []
    return _matching([(category.id, category.name) for category in data.categories.values()], incomplete)


def export_formats(incomplete: str) -> list[tuple[str, str]]:
    return _matching(EXPORT_FORMATS, incomplete)


def schema_files(incomplete: str) -> list[tuple[str, str]]:
    return _matching(SCHEMA_FILES, incomplete)
