"""digitrec.imaging.masks: components of a boolean mask, and the mask grown by a pixel."""

from __future__ import annotations

import numpy as np
import pytest

from digitrec.imaging.masks import grown, label_components


def test_components_join_diagonal_neighbours_and_keep_separate_shapes_apart():
    mask = np.zeros((6, 8), bool)
    mask[0, 0] = mask[1, 1] = mask[2, 2] = True  # a diagonal line: one component
    mask[0, 5:8] = True
    mask[1:4, 6] = True  # a T: another
    mask[5, 0:3] = True  # a bar: a third
    labels, count = label_components(mask)
    assert count == 3
    assert len({labels[0, 0], labels[1, 1], labels[2, 2]}) == 1
    assert labels[3, 6] == labels[0, 5] != labels[0, 0]
    assert labels[5, 1] not in (0, labels[0, 0], labels[0, 5])
    assert (labels[~mask] == 0).all()


def test_components_of_an_empty_mask():
    labels, count = label_components(np.zeros((4, 4), bool))
    assert count == 0
    assert not labels.any()


def flood_fill_labels(mask: np.ndarray) -> np.ndarray:
    """The obvious slow 8-connected labelling, to check the fast one against."""
    labels = np.zeros(mask.shape, np.int32)
    count = 0
    for start in zip(*np.nonzero(mask), strict=True):
        if labels[start]:
            continue
        count += 1
        labels[start] = count
        stack = [start]
        while stack:
            y, x = stack.pop()
            for ny in range(max(0, y - 1), min(mask.shape[0], y + 2)):
                for nx in range(max(0, x - 1), min(mask.shape[1], x + 2)):
                    if mask[ny, nx] and not labels[ny, nx]:
                        labels[ny, nx] = count
                        stack.append((ny, nx))
    return labels


@pytest.mark.parametrize("density", [0.3, 0.45, 0.6])
def test_components_match_a_flood_fill_on_random_masks(density):
    # Random masks make winding shapes whose runs join in many rounds of hooking and jumping.
    mask = np.random.default_rng(int(density * 100)).random((40, 60)) < density
    labels, count = label_components(mask)
    expected = flood_fill_labels(mask)
    assert count == expected.max()
    # The same partition of pixels, whatever the numbering.
    pairs = set(zip(labels[mask].tolist(), expected[mask].tolist(), strict=True))
    assert len(pairs) == count


def test_components_are_numbered_in_the_order_their_first_pixel_comes():
    mask = np.zeros((5, 9), bool)
    mask[3:5, 0] = True  # first pixel at (3, 0)
    mask[0:5, 8] = True  # first pixel at (0, 8): the first component
    mask[1, 4] = True  # (1, 4): the second
    labels, count = label_components(mask)
    assert count == 3
    assert (labels[0, 8], labels[1, 4], labels[3, 0]) == (1, 2, 3)


def test_grown_reaches_all_eight_neighbours_and_stops_at_the_edges():
    mask = np.zeros((5, 5), bool)
    mask[2, 2] = mask[0, 4] = True
    expected = np.zeros((5, 5), bool)
    expected[1:4, 1:4] = True
    expected[0:2, 3:5] = True
    assert (grown(mask) == expected).all()
    assert not grown(np.zeros((3, 3), bool)).any()
