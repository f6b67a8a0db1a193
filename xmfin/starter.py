"""`xmfin init`: a new research folder, and `xmfin data-path`: where the bundled data is.

A research folder holds the two data files, the JSON Schemas of both in schemas/, and editor settings for the
YAML language server (VS Code's YAML extension and any editor that uses the server): a
`# yaml-language-server: $schema=...` comment on the first line of each data file, and a .vscode/settings.json
mapping each schema to its file. The folder is written complete or not at all (fileio.write_folder).

With the bundled data, the files are its copy; with `--empty`, entities.yaml has no records and licences.yaml
only the licence taxonomy (families and categories, taken from the bundled data), each with an example of
every kind of record, commented out: uncommented, the examples pass `xmfin check` as they are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from xmfin.errors import UsageError
from xmfin.fileio import Fill, text, write_folder

FILES = ("entities", "licences")
SCHEMA_FOLDER = "schemas"


def schema_comment(name: str) -> str:
    """The first line of a data file: where the YAML language server finds its schema (relative to the file)."""
    return f"# yaml-language-server: $schema={SCHEMA_FOLDER}/{name}.schema.json\n"


def vscode_settings() -> str:
    """.vscode/settings.json: each schema for its data file, for editors that read `yaml.schemas`."""
    mapping = {f"{SCHEMA_FOLDER}/{name}.schema.json": [f"{name}.yaml"] for name in FILES}
    return json.dumps({"yaml.schemas": mapping}, indent=2) + "\n"


ENTITIES_HEADER = """\
# entities.yaml: sources, groups, entities, holdings, roles and events. The format: docs/data-format.md
# (`xmfin schema entities` gives its JSON Schema). Check the folder with: xmfin check --data .
"""

ENTITIES_EXAMPLE = """\
sources:
  example-filing:
    title: Annual report 2024                     # required
    publisher: Example Holdings Ltd.
    published: 2025-03
    url: https://example.com/annual-report-2024.pdf
    kind: filing                                  # regulator | filing | company | press | research | aggregator

groups:                                           # the groups that gaps, matrix and tree know by name
  example:
    name: Example
    root: example-holdings                        # the group's top entity
    default: true                                 # the group a command takes when given none

entities:
  example-holdings:
    name: Example Holdings Ltd.                   # required
    name_zh: 示例控股
    aliases: [Example]
    kind: company                                 # company | person | state | fund | partnership
    jurisdiction: KY                              # ISO 3166-1 alpha-2, or ISO 3166-2 such as CN-CQ
    founded: 2010
    sources: [example-filing]
  example-lending:
    name: Example Microcredit Co., Ltd.
    jurisdiction: CN-CQ
    founded: 2015-06
    sources: [example-filing]
  jane-doe:
    name: Jane Doe
    kind: person
    sources: [example-filing]

holdings:                                         # owner -> owned
  - owner: example-holdings
    owned: example-lending
    stake: 100                                    # percent; null when undisclosed
    control: equity                               # equity | vie | voting | other
    since: 2015-06
    sources: [example-filing]

roles:
  - holder: jane-doe
    of: example-lending
    title: Chair
    since: 2019
    sources: [example-filing]

events:
  - date: 2020-11-03
    title: Example Microcredit raises its capital
    entities: [example-lending]
    sources: [example-filing]
"""

LICENCES_HEADER = """\
# licences.yaml: the licence taxonomy (families, categories), licences held and claims.
# The format: docs/data-format.md (`xmfin schema licences` gives its JSON Schema).
"""


def licences_example(category: str, family: str) -> str:
    return f"""\
licences:                                         # a licence held by a named entity
  - holder: example-lending
    category: {category}
    regulator: Example regulator
    granted: 2015-06
    sources: [example-filing]

claims:                                           # a source says a group holds a family, naming no holder
  - group: example
    family: {family}
    as_of: 2025-03
    sources: [example-filing]
"""


def commented(block: str) -> str:
    """Each line of block commented out with `# `, so that removing those two characters restores it."""
    return "".join(f"# {line}".rstrip() + "\n" for line in block.splitlines())


EXAMPLE_START = "# --- example records: remove the '# ' in front of a line to use it ---\n"
EXAMPLE_END = "# --- end of the example records ---\n"


def empty_files(source: Path) -> dict[str, str]:
    """entities.yaml and licences.yaml of an empty research folder: the taxonomy of the data in source, and
    examples commented out."""
    from xmfin.storage.loading import load

    data = load(source)
    families = {
        family.id: {"name": family.name, "name_zh": family.name_zh, "core": family.core or None, "note": family.note}
        for family in data.families.values()
    }
    categories = {
        category.id: {
            "family": category.family,
            "name": category.name,
            "name_zh": category.name_zh,
            "note": category.note,
        }
        for category in data.categories.values()
    }
    if not categories:
        raise UsageError(f"the data in {source} has no licence categories to start from")
    category = "microcredit" if "microcredit" in data.categories else next(iter(data.categories))
    family = data.categories[category].family
    taxonomy = "\n".join([*flow_section("families", families), "", *flow_section("categories", categories)])
    return {
        "entities": ENTITIES_HEADER + "\nversion: 1\n\n" + EXAMPLE_START + commented(ENTITIES_EXAMPLE) + EXAMPLE_END,
        "licences": LICENCES_HEADER
        + "\nversion: 1\n\n"
        + taxonomy
        + "\n\n"
        + EXAMPLE_START
        + commented(licences_example(category, family))
        + EXAMPLE_END,
    }


def flow_section(name: str, records: Mapping[str, Mapping[str, object]]) -> list[str]:
    """`name:` then one line per record, `  id: {key: "value", ...}`; ids that are plain slugs unquoted."""
    import re

    from xmfin.storage.yamltext import scalar, value

    if not records:
        return [f"{name}: {{}}"]
    lines = [f"{name}:"]
    for key, fields in records.items():
        shown = key if re.fullmatch(r"[a-z][a-z0-9-]*", key) and key not in ("null", "true", "false") else scalar(key)
        pairs = ", ".join(f"{field}: {value(item)}" for field, item in fields.items() if item is not None)
        lines.append(f"  {shown}: {{{pairs}}}")
    return lines


def copied_files(source: Path) -> dict[str, str]:
    """The two data files of source, as they are."""
    from xmfin.fileio import read_regular

    return {name: read_regular(source / f"{name}.yaml").decode("utf-8") for name in FILES}


def init_folder(folder: Path, source: Path, *, empty: bool, force: bool) -> list[str]:
    """Write a research folder at folder from the data in source; the paths written, relative to folder.

    UsageError when folder is a file, or a folder that is not empty (unless force: then the files of a research
    folder are written over theirs, and other files are left alone).
    """
    from xmfin.fileio import is_empty_folder, kind_of
    from xmfin.storage.schema import file_schema

    try:
        kind = kind_of(folder)
        if kind == "file":
            raise UsageError(f"{folder} is a file: give a new folder, or an empty one")
        if kind == "folder" and not force and not is_empty_folder(folder):
            raise UsageError(f"{folder} is not empty: give a new folder, or add --force to write the files into it")
    except OSError as error:  # a name too long, a parent that is a file: nothing can be written there
        raise UsageError(f"{folder}: cannot write: {error.strerror or error}") from None
    if kind == "folder" and os.path.samefile(folder, source):
        # `init "$(xmfin data-path)" --empty --force` would replace the installed data with an empty folder.
        raise UsageError(f"{folder} is the bundled data itself: give another folder for the copy")
    contents = empty_files(source) if empty else copied_files(source)
    files: list[tuple[str, Fill]] = []
    for name in FILES:
        body = contents[name]
        if body.startswith("\ufeff"):
            body = body[1:]
        files.append((f"{name}.yaml", text(schema_comment(name) + body)))
    for name in FILES:
        files.append(
            (
                f"{SCHEMA_FOLDER}/{name}.schema.json",
                text(json.dumps(file_schema(name), ensure_ascii=False, indent=2) + "\n"),
            )
        )
    files.append((".vscode/settings.json", text(vscode_settings())))
    try:
        write_folder(folder, files)
    except OSError as error:
        raise UsageError(f"{folder}: cannot write: {error.strerror or error}") from None
    return [name for name, _ in files]
