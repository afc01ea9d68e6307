"""The docs name tests as evidence: every test they name exists."""
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
