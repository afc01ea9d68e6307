"""Damaged files never crash the reader: every input kept in tests/fuzz_regressions/ (damaged
samples, and whatever the fuzzers find; its README.md says how each was made) and a fixed set of
fuzz/mutate.py's damaged samples decode or raise a DerenotesError, each in a child process of its
own (fuzz/mutate.py's fork server), so that a crash fails one test."""
import pytest

from fuzz import mutate

SEED = 20250101
MUTATED_INPUTS = 30


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "input"
    worker = mutate.Worker(mutate.worker_environment(), timeout=20, path=str(path))
    yield worker
    worker.close()


@pytest.fixture(scope="module")
def samples():
    return mutate.load_samples()


def regression_inputs():
    """The inputs in tests/fuzz_regressions/: every file but its README."""
    return sorted(path for path in mutate.REGRESSIONS.iterdir() if path.name != "README.md")


def test_every_regression_input_decodes_or_raises(worker):
    paths = regression_inputs()
    assert paths, f"no inputs in {mutate.REGRESSIONS}: the test would check nothing"
    for path in paths:
        outcome, report = worker.run(mutate.Input(None, path.read_bytes(), path.suffix, []))
        assert outcome in ("decoded", "rejected"), f"{path.name}: {report}"


@pytest.mark.parametrize("index", range(MUTATED_INPUTS))
def test_a_damaged_sample_decodes_or_raises(worker, samples, index):
    test_input = mutate.make_input(SEED, index, samples)
    outcome, report = worker.run(test_input)
    assert outcome in ("decoded", "rejected"), f"{' + '.join(test_input.mutations)}: {report}"


def test_the_damaged_samples_are_reproducible_and_use_every_mutation(samples):
    inputs = [mutate.make_input(SEED, index, samples) for index in range(MUTATED_INPUTS)]
    assert inputs == [mutate.make_input(SEED, index, samples) for index in range(MUTATED_INPUTS)]
    assert {name for test_input in inputs for name in test_input.mutations} == set(mutate.MUTATIONS)
