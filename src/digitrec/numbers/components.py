"""Ink -> groups of connected components, each believed to be one digit (or touching digits).

`component_groups` boxes and weighs the 8-connected components of ink
(`digitrec.imaging.masks.label_components`); `group_components` drops specks and merges each digit's fragments (the detached bar of a 5 or
7, a loop broken in two) with the digit they sit above or below. `digitrec.numbers.segment` then cuts
groups that are too wide and may join neighbours that read better as one digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Ink brighter than this (0..1) joins a component. Fainter anti-aliased edges still reach the
# model: each piece's crop keeps the ink within one pixel of its components.
SEGMENT_THRESHOLD = 0.25
# A component under this share of the heaviest one's ink, and small, is a speck of noise.
SPECK_MASS = 0.05
SPECK_SIZE = 0.25  # ... and its longer side is under this share of the typical digit height
# A component shorter than this share of the typical digit height is a fragment of a digit
# (a 5's bar, half of a broken 8) when it shares columns with another piece.
FRAGMENT_HEIGHT = 0.7
FRAGMENT_OVERLAP = 0.2  # share of the fragment's width that must lie over the other piece
MERGED_HEIGHT = 1.5  # a merged digit is at most this many typical heights tall
# A group left alone this small (ink and height) after merging is noise, not a digit.
STRAY_MASS = 0.12
STRAY_HEIGHT = 0.45


@dataclass
class Group:
    """One or more components believed to be one digit (or touching digits)."""

    labels: list[int]
    x0: int
    y0: int
    x1: int  # exclusive
    y1: int  # exclusive
    mass: float

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def absorb(self, other: Group) -> None:
        self.labels += other.labels
        self.x0, self.y0 = min(self.x0, other.x0), min(self.y0, other.y0)
        self.x1, self.y1 = max(self.x1, other.x1), max(self.y1, other.y1)
        self.mass += other.mass


def component_groups(labels: np.ndarray, count: int, ink: np.ndarray) -> list[Group]:
    """One `Group` per component, with its bounding box and ink mass."""
    ys, xs = np.nonzero(labels)
    ids = labels[ys, xs] - 1
    x0 = np.full(count, labels.shape[1])
    y0 = np.full(count, labels.shape[0])
    x1 = np.zeros(count, np.int64)
    y1 = np.zeros(count, np.int64)
    np.minimum.at(x0, ids, xs)
    np.minimum.at(y0, ids, ys)
    np.maximum.at(x1, ids, xs + 1)
    np.maximum.at(y1, ids, ys + 1)
    mass = np.bincount(ids, weights=ink[ys, xs], minlength=count)
    return [
        Group([i + 1], int(x0[i]), int(y0[i]), int(x1[i]), int(y1[i]), float(mass[i]))
        for i in range(count)
    ]


def typical_height(groups: list[Group]) -> float:
    """The median height of the components carrying a fair share of the ink: one digit's."""
    heaviest = max(group.mass for group in groups)
    return float(np.median([g.height for g in groups if g.mass >= 0.25 * heaviest]))


def group_components(groups: list[Group]) -> list[Group]:
    """Drop specks and merge each digit's fragments into one group; order is not kept."""
    if not groups:
        return []
    height = typical_height(groups)
    heaviest = max(group.mass for group in groups)
    kept = [
        g
        for g in groups
        if g.mass >= SPECK_MASS * heaviest or max(g.width, g.height) >= SPECK_SIZE * height
    ]
    # Tall pieces first: a fragment joins the piece it lies over or under, never the reverse.
    kept.sort(key=lambda g: -g.height)
    merged: list[Group] = []
    for group in kept:
        target = _fragment_target(group, merged, height)
        if target is None:
            merged.append(group)
        else:
            target.absorb(group)
    if len(merged) > 1:
        typical_mass = float(np.median([g.mass for g in merged]))
        merged = [
            g
            for g in merged
            if g.mass >= STRAY_MASS * typical_mass or g.height >= STRAY_HEIGHT * height
        ]
    return merged


def _fragment_target(group: Group, others: list[Group], height: float) -> Group | None:
    if group.height >= FRAGMENT_HEIGHT * height:
        return None
    best, best_overlap = None, FRAGMENT_OVERLAP * group.width
    for other in others:
        overlap = min(group.x1, other.x1) - max(group.x0, other.x0)
        merged_height = max(group.y1, other.y1) - min(group.y0, other.y0)
        if overlap >= best_overlap and merged_height <= MERGED_HEIGHT * height:
            best, best_overlap = other, overlap
    return best
