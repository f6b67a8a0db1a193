"""Every example of README.md and docs/commands.md prints what the file says it prints (issue 17).

The examples run on the bundled data; when it changes, regenerate them with
`python -m tests.readme_examples --update` (see tests/readme_examples.py) and read the diff.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.readme_examples import (
    FILES,
    ROOT,
    Example,
    Step,
    all_examples,
    missing_tool,
    python_blocks,
    run_with_status,
)

EXAMPLES = all_examples()


def test_the_readme_has_its_five_examples_and_the_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [step.command for example in EXAMPLES if example.file.name == "README.md" for step in example.steps]
    for wanted in (r"^xmfin tree\b", r"^xmfin chain\b", r"^xmfin gaps\b", r"\| jq\b", r"^xmfin diagram\b"):
        assert any(re.search(wanted, command) for command in commands), wanted
    # The set-up lines a new user copies, as they were (a fresh machine runs them as they are).
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/xmfin tree\n" in readme
    assert "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/python -m pytest\n" in readme


def test_the_readme_links_the_docs_and_the_links_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in ("commands.md", "data-format.md", "bods.md", "performance.md", "errors.md", "cli.md"):
        assert f"(docs/{doc})" in readme, doc
    for target in re.findall(r"\]\(((?:docs/)?[\w./-]+\.(?:md|svg))\)", readme):
        assert (ROOT / target).is_file(), target
    for file in FILES:
        for target in re.findall(r"\]\(([\w./-]+\.md)\)", file.read_text(encoding="utf-8")):
            assert (file.parent / target).is_file(), f"{file.name}: {target}"


def test_the_readme_reads_in_two_minutes() -> None:
    """About 200 words a minute of prose, and examples to glance at: the README stays short."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    prose = re.sub(r"^```.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)
    assert len(prose.split()) < 450, f"{len(prose.split())} words of prose"
    assert len(text.splitlines()) < 250, f"{len(text.splitlines())} lines"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.where)
def test_example(example: Example) -> None:
    tool = missing_tool(example)
    if tool is not None:
        pytest.skip(f"{tool} is not installed")
    for step, (output, status) in zip(example.steps, run_with_status(example), strict=True):
        assert output == step.expected, (
            f"{example.where}: `$ {step.command}` printed something else; if the data changed, run "
            "`python -m tests.readme_examples --update` and read the diff"
        )
        # The same output with a failure status is a broken example too (a script would stop there); only an
        # example that shows an error may fail, and one that pipes into head may see a reader killed by it.
        assert status == 0 or "error:" in step.expected or (status == 141 and "| head" in step.command), (
            f"{example.where}: `$ {step.command}` exited with {status}"
        )


@pytest.mark.parametrize("file", FILES, ids=lambda file: file.name)
def test_python_examples(file: Path) -> None:
    """The library's examples (```python blocks with `>>>`) print what they say, as doctest runs them."""
    import doctest

    for start, _, block in python_blocks(file):
        line = file.read_text(encoding="utf-8")[:start].count("\n")
        test = doctest.DocTestParser().get_doctest(block, {}, file.name, str(file), line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.failures == 0, f"{file.name}:{line}: run `python -m tests.readme_examples --update`"


def test_an_example_that_fails_with_the_same_output_is_caught() -> None:
    """The examples were compared by output only: a step that printed the right text and then failed passed."""
    example = Example(ROOT / "README.md", 0, 0, [Step("echo same; exit 3", "same\n")])
    assert run_with_status(example) == [("same\n", 3)]
