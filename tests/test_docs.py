"""The docs stay true to the tree: every test that docs/robustness.md and docs/exactness.md name
as evidence exists, every relative link in README.md and docs/*.md points at a file that exists,
and the README stays a short page (the reference lives in docs/)."""
import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def functions_in(path):
    return {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_robustness_table_names_exists():
    text = (ROOT / "docs" / "robustness.md").read_text()
    table_rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Input")]
    assert len(table_rows) >= 15
    for row in table_rows:
        assert TEST_REFERENCE.search(row), f"a row without a test: {row}"
    for file, name in TEST_REFERENCE.findall(text):
        assert name in functions_in(ROOT / file), f"{file}::{name} does not exist"


CPP_TEST_REFERENCE = re.compile(r"`(cpp/tests/\w+\.cpp)` `(\w+)`")


def test_every_test_the_exactness_table_names_exists():
    text = (ROOT / "docs" / "exactness.md").read_text()
    table_rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| The file")]
    assert len(table_rows) >= 10
    for row in table_rows:
        assert TEST_REFERENCE.search(row) or CPP_TEST_REFERENCE.search(row), f"a row without a test: {row}"
    for file, name in TEST_REFERENCE.findall(text):
        assert name in functions_in(ROOT / file), f"{file}::{name} does not exist"
    for file, name in CPP_TEST_REFERENCE.findall(text):
        assert re.search(rf"TEST(_P)?\(\w+, {name}\)", (ROOT / file).read_text()), f"{file} {name} does not exist"


MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
README_MAX_BYTES = 8 * 1024


def pages():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_relative_link_in_the_docs_points_at_a_file():
    checked = 0
    for page in pages():
        for target in MARKDOWN_LINK.findall(page.read_text()):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a URL, or a heading on the same page
            path = target.split("#", 1)[0]
            assert (page.parent / path).exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"
            checked += 1
    assert checked >= 10  # the README and docs/ do link to each other


def test_the_readme_stays_short():
    size = len((ROOT / "README.md").read_bytes())
    assert size < README_MAX_BYTES, f"README.md is {size} bytes: move reference material into docs/"
