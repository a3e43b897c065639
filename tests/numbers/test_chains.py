"""digitrec.numbers.chains: the best chain of candidates, reading only the ones that could be in it."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from digitrec.numbers.chains import best_chain


def random_candidates(rng, boundaries: int):
    """Every span up to 4 boundaries long (so a chain always exists), priors and bonuses."""
    spans = [(s, e) for s in range(boundaries - 1) for e in range(s + 1, min(s + 5, boundaries))]
    priors = (-rng.random(len(spans)) * 3).tolist()
    confidences = rng.random(len(spans)) ** 0.2  # most readings sure, some not
    bonuses = (3 * np.log(np.maximum(confidences, 1e-6))).tolist()
    return spans, priors, bonuses


def chain_total(chain, priors, bonuses) -> float:
    return sum(priors[i] + bonuses[i] for i in chain)


@pytest.mark.parametrize("seed", range(40))
def test_reading_only_what_could_win_finds_the_chain_reading_everything_finds(seed):
    rng = np.random.default_rng(seed)
    boundaries = int(rng.integers(2, 40))
    spans, priors, bonuses = random_candidates(rng, boundaries)
    asked: list[int] = []

    def read(indices):
        asked.extend(indices)
        return [bonuses[i] for i in indices]

    everything = [p + b for p, b in zip(priors, bonuses, strict=True)]
    expected = best_chain(spans, boundaries, everything)
    chain = best_chain(spans, boundaries, priors, read)
    assert chain_total(chain, priors, bonuses) == pytest.approx(
        chain_total(expected, priors, bonuses)
    )
    assert chain == expected  # no ties among random floats
    assert spans[chain[0]][0] == 0 and spans[chain[-1]][1] == boundaries - 1
    assert all(spans[a][1] == spans[b][0] for a, b in itertools.pairwise(chain))
    assert len(asked) == len(set(asked)), "no candidate is read twice"


def test_when_the_right_pieces_read_surely_only_a_few_candidates_are_read():
    """As in a written number: the true digits read surely, pieces of them do not."""
    rng = np.random.default_rng(1)
    spans, _, _ = random_candidates(rng, 61)
    digits = [end - start == 3 and start % 3 == 0 for start, end in spans]
    priors = [-0.3 if digit else -0.3 - 3 * rng.random() for digit in digits]
    bonuses = [-0.03 if digit else -6.0 for digit in digits]
    asked: list[int] = []
    chain = best_chain(
        spans, 61, priors, lambda ids: asked.extend(ids) or [bonuses[i] for i in ids]
    )
    assert [spans[i] for i in chain] == [(s, s + 3) for s in range(0, 60, 3)]
    assert len(asked) < len(spans) / 4


def test_priors_alone_choose_without_a_reader():
    spans = [(0, 1), (1, 2), (0, 2)]
    assert best_chain(spans, 3, [-0.3, -0.3, -1.0]) == [0, 1]
    assert best_chain(spans, 3, [-0.3, -0.3, -0.5]) == [2]


def test_a_sure_reading_beats_better_priors():
    spans = [(0, 1), (1, 2), (0, 2)]  # two halves, or one whole digit
    bonus = {0: 3 * math.log(0.2), 1: 3 * math.log(0.2), 2: 0.0}
    assert best_chain(spans, 3, [-0.3, -0.3, -1.0], lambda ids: [bonus[i] for i in ids]) == [2]


def test_no_candidates_no_chain():
    assert best_chain([], 0, [], lambda ids: []) == []
    assert best_chain([], 1, []) == []
