"""The examples of README.md and docs/commands.md: found, run, compared, and written back when the data changes.

An example is a ```console block in one of those files. Each line starting with `$ ` is a command, run by bash
in a fresh folder (so that `-o file` and `xmfin init` write there), on the bundled data, as a user sees it in a
110-column terminal without colour: stdout and stderr together, in the order written (PYTHONUNBUFFERED). The
lines up to the next `$ ` line are its output. Commands in one block share their folder, in order, so a block
can `xmfin init` a folder and then check it. `xmfin` is the console script beside this Python.

When the bundled data changes, regenerate every example's output (and the README's picture, docs/xiaomi.svg)
with one command:

    python -m tests.readme_examples --update

and read the diff before committing it. `python -m tests.readme_examples` alone lists what differs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = (ROOT / "README.md", ROOT / "docs" / "commands.md")
COLUMNS = 110
BLOCK = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)
PYTHON = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TOOLS = ("jq", "head", "grep", "sed", "wc")  # what examples may pipe into, besides xmfin


@dataclass
class Step:
    command: str
    expected: str  # the output lines, each ending in a newline


@dataclass
class Example:
    file: Path
    start: int  # offset of the block's content in the file
    end: int
    steps: list[Step]

    @property
    def where(self) -> str:
        line = self.file.read_text(encoding="utf-8")[: self.start].count("\n") + 1
        return f"{self.file.relative_to(ROOT)}:{line}"


def parse_steps(body: str) -> list[Step]:
    steps: list[Step] = []
    for line in body.splitlines(keepends=True):
        if line.startswith("$ "):
            steps.append(Step(line[2:].rstrip("\n"), ""))
        elif steps:
            steps[-1].expected += line
    return steps


def examples(file: Path) -> list[Example]:
    text = file.read_text(encoding="utf-8")
    return [
        Example(file, match.start(1), match.end(1), parse_steps(match.group(1)))
        for match in BLOCK.finditer(text)
        if any(line.startswith("$ ") for line in match.group(1).splitlines())
    ]


def all_examples() -> list[Example]:
    return [example for file in FILES for example in examples(file)]


def environment(folder: Path) -> dict[str, str]:
    """The user's environment as the examples assume it: xmfin on PATH, the bundled data, no colour, 110 columns."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XMFIN_", "FORCE_COLOR", "_XMFIN"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        COLUMNS=str(COLUMNS),
        LINES="50",
        NO_COLOR="1",
        TERM="dumb",
        PYTHONUNBUFFERED="1",
        XMFIN_CACHE_DIR=str(folder / ".cache"),
        LC_ALL="C.UTF-8",
    )
    return env


def missing_tool(example: Example) -> str | None:
    for step in example.steps:
        for tool in TOOLS:
            if re.search(rf"(^|\|\s*){tool}\b", step.command) and shutil.which(tool) is None:
                return tool
    return None


def run(example: Example) -> list[str]:
    """The output of each step of example, run in order in one fresh folder."""
    return [output for output, _ in run_with_status(example)]


def run_with_status(example: Example) -> list[tuple[str, int]]:
    """The output and exit status of each step of example, run in order in one fresh folder."""
    with tempfile.TemporaryDirectory(prefix="xmfin-example-") as name:
        folder = Path(name)
        work = folder / "work"
        work.mkdir()
        outputs: list[tuple[str, int]] = []
        for step in example.steps:
            done = subprocess.run(
                ["bash", "-o", "pipefail", "-c", step.command],
                cwd=work,
                env=environment(folder),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
            # A Markdown file keeps no carriage return: CSV's CRLF line ends are compared as LF.
            outputs.append((done.stdout.decode("utf-8", "replace").replace("\r\n", "\n"), done.returncode))
        return outputs


def python_blocks(file: Path) -> list[tuple[int, int, str]]:
    """The ```python blocks of file that hold `>>>` examples: (start, end, text)."""
    text = file.read_text(encoding="utf-8")
    return [(m.start(1), m.end(1), m.group(1)) for m in PYTHON.finditer(text) if ">>> " in m.group(1)]


def run_python(block: str) -> str:
    """block with the output of each `>>>` example as Python prints it now (examples share their names)."""
    import contextlib
    import doctest
    import io

    names: dict[str, object] = {}
    out: list[str] = []
    for piece in doctest.DocTestParser().parse(block):
        if isinstance(piece, str):
            out.append(piece)
            continue
        lines = piece.source.rstrip("\n").split("\n")
        out.append("".join(("... " if i else ">>> ") + line + "\n" for i, line in enumerate(lines)))
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            try:
                exec(compile(piece.source, "<example>", "single"), names)
            except Exception as error:
                print(f"Traceback (most recent call last):\n{type(error).__name__}: {error}")
        out.append(printed.getvalue())
    return "".join(out)


def update(file: Path) -> bool:
    """Write each example's real output into file; True when something changed."""
    original = text = file.read_text(encoding="utf-8")
    for start, end, block in reversed(python_blocks(file)):
        text = text[:start] + run_python(block) + text[end:]
    if text != original:
        file.write_text(text, encoding="utf-8")  # so that the console blocks are found where they now are
    found = examples(file)
    for example in reversed(found):  # from the end, so that earlier offsets stay right
        outputs = run(example)
        for step, output in zip(example.steps, outputs, strict=True):
            if "xmfin: error:" in output or "xmfin: internal error:" in output:
                # Written all the same (an example may show an error on purpose), but said: after a data
                # change, an id an example names may be gone.
                print(f"{example.where}: $ {step.command}: prints an error; is that what it should show?")
        body = "".join(f"$ {step.command}\n{output}" for step, output in zip(example.steps, outputs, strict=True))
        text = text[: example.start] + body + text[example.end :]
    file.write_text(text, encoding="utf-8")
    return text != original


PICTURE = ROOT / "docs" / "xiaomi.svg"
# The README's picture, drawn again by the command docs/commands.md gives for it (tests/test_diagram.py checks it).
PICTURE_ARGS = ["diagram", "xiaomi", "--as-of", "2025-12-31", "--licences"]


def update_picture() -> bool:
    """Draw docs/xiaomi.svg again; True when it changed."""
    with tempfile.TemporaryDirectory(prefix="xmfin-example-") as name:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "xmfin"), *PICTURE_ARGS],
            env=environment(Path(name)),
            capture_output=True,
            check=True,
        )
    changed = done.stdout != PICTURE.read_bytes()
    if changed:
        PICTURE.write_bytes(done.stdout)
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="write the real outputs into the files")
    args = parser.parse_args()
    if args.update:
        for file in FILES:
            print(f"{file.relative_to(ROOT)}: {'updated' if update(file) else 'unchanged'}")
        print(f"{PICTURE.relative_to(ROOT)}: {'updated' if update_picture() else 'unchanged'}")
        return 0
    differ = 0
    for example in all_examples():
        for step, output in zip(example.steps, run(example), strict=True):
            if output != step.expected:
                differ += 1
                print(f"{example.where}: $ {step.command}: the output differs")
    print(f"{differ} example(s) differ" + ("; run with --update to rewrite them" if differ else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
