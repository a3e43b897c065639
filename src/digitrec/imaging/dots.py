"""Printed dots taken out of an ink mask: dotted paper.

A page's dots are small round marks of one size, as far apart from their nearest neighbours as
each other: a lattice. Pen specks, pencil grain and noise lie about at random. Where the page
has such a lattice, every mark no larger than its dots goes, the ones in a digit's loops too.
Dots that touch a stroke are found where the lattice puts them, and taken off where that leaves
the stroke in one piece (a dot at the bottom of a 5 reads as a 6's loop; one beside a 0's
stroke, inside it, as a 6's). A stroke written over a dot keeps it.
"""

from __future__ import annotations

import cv2
import numpy as np

# A dot fits in a square of this share of the image's shorter side, its sides within
# DOT_ASPECT of each other...
DOT_SIDE = 0.05
DOT_ASPECT = 2.0
# ...and a lattice has at least MIN_DOTS of them, DOT_REGULAR of them as far from their nearest
# neighbour as the median dot is, and as near the places of the lattice fitted to them, within
# SPACING_TOLERANCE of that distance.
MIN_DOTS = 8
DOT_REGULAR = 0.6
SPACING_TOLERANCE = 0.2
# A dot where the lattice puts one is ink within DOT_REACH px of its median size's radius of
# that place; it is taken off a stroke it touches when less than FULL_DISK of that disk is ink
# (a stroke written over the dot fills it).
DOT_REACH = 1.0
FULL_DISK = 0.9
# The lattice is fitted to the LATTICE_POINTS dots nearest the middle, and its dots are at least
# MIN_SPACING times their size apart (printed dots are small and far apart; a pencil's grain
# is dense).
LATTICE_POINTS = 400
MIN_SPACING = 4.0
# Its steps come from each dot's NEIGHBOURS nearest (a square lattice's four), their direction
# from a histogram of ANGLE_BINS bins over the half turn: a handful of steps per dot and no
# pairwise work, however crowded a picture's dots are.
NEIGHBOURS = 4
ANGLE_BINS = 144
# Then marks no longer than this many times the median dot's longer side, and holding no more
# than its square times its ink, are dots.
DOT_SIZE = 2.0
# Dots touching ink are looked for at no more than this many places, the most central first (a
# page of digits has a few beside each; a picture made of dots and strokes must not take long).
MAX_TOUCHING = 1000


def printed_dots(mask: np.ndarray) -> np.ndarray:
    """(h, w) uint8 mask (0/255) -> (h, w) bool: the pixels of its printed dots, none where
    its marks make no lattice."""
    _, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    sides = stats[1:, cv2.CC_STAT_WIDTH : cv2.CC_STAT_HEIGHT + 1]
    area = stats[1:, cv2.CC_STAT_AREA]
    longer, shorter = sides.max(axis=1), sides.min(axis=1)
    round_ = (longer <= DOT_SIDE * min(mask.shape)) & (longer <= DOT_ASPECT * shorter)
    lattice = _lattice(_central(centroids[1:][round_], mask.shape)[:LATTICE_POINTS])
    if lattice is None:
        return np.zeros(mask.shape, bool)
    typical_side, typical_area = np.median(longer[round_]), np.median(area[round_])
    if np.hypot(*lattice[1]).min() < MIN_SPACING * typical_side:
        return np.zeros(mask.shape, bool)
    dots = (longer <= DOT_SIZE * typical_side) & (area <= DOT_SIZE**2 * typical_area)
    printed = np.concatenate([[False], dots])[labels]
    places = _places(*lattice, mask.shape)
    return printed | _touching((mask > 0) & ~printed, places, typical_side / 2 + DOT_REACH)


def _central(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`points` ((k, 2) x, y), those nearest the middle of an image of `shape` first."""
    middle = np.array(shape[::-1]) / 2
    return points[np.argsort(np.hypot(*(points - middle).T))]


def _lattice(centres: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The lattice that points ((k, 2)) lie on, as (origin (2,), steps (2, 2), one a column),
    or None where they lie about at random. On a lattice, DOT_REGULAR of the points are as far
    from their nearest neighbour as the median point is, within SPACING_TOLERANCE, and lie
    within that tolerance of the places of the lattice fitted to them. Its steps are the median
    steps between nearest points in the two commonest directions, fitted with an origin to all
    the points by least squares."""
    if len(centres) < MIN_DOTS:
        return None
    steps = centres[None] - centres[:, None]
    length = np.hypot(steps[..., 0], steps[..., 1])
    np.fill_diagonal(length, np.inf)
    nearest = length.min(axis=1)
    spacing = np.median(nearest)
    tolerance = SPACING_TOLERANCE * spacing
    if spacing < 1 or np.mean(np.abs(nearest - spacing) <= tolerance) < DOT_REGULAR:
        return None
    # Each point's steps to its NEIGHBOURS nearest, those about the spacing.
    rows = np.repeat(np.arange(len(centres)), NEIGHBOURS)
    columns = np.argsort(length, axis=1)[:, :NEIGHBOURS].ravel()
    regular = np.abs(length[rows, columns] - spacing) <= tolerance
    steps = (centres[columns] - centres[rows])[regular]
    first = _commonest_step(steps)
    across = _turn_from(steps, first) > np.pi / 4
    second = _commonest_step(steps[across]) if across.any() else np.array([-first[1], first[0]])
    basis = np.stack([first, second], axis=1)
    if abs(np.linalg.det(basis)) < 0.5 * spacing**2:
        return None
    counts = np.round((centres - centres[0]) @ np.linalg.inv(basis).T)
    design = np.column_stack([np.ones(len(centres)), counts])
    fit, *_ = np.linalg.lstsq(design, centres, rcond=None)
    origin, basis = fit[0], fit[1:].T
    off = np.hypot(*(design @ fit - centres).T)
    if np.mean(off <= tolerance) < DOT_REGULAR:
        return None
    return origin, basis


def _turn_from(steps: np.ndarray, step: np.ndarray) -> np.ndarray:
    """(k,) the angle, radians in [0, pi / 2], between each of `steps` ((k, 2)) and `step`,
    either way along it."""
    turn = np.arctan2(steps[:, 1], steps[:, 0]) - np.arctan2(step[1], step[0])
    return np.abs(np.angle(np.exp(2j * turn))) / 2


def _commonest_step(steps: np.ndarray) -> np.ndarray:
    """The median of the `steps` ((k, 2)) in the sixth of a half turn of directions that most
    lie in, each turned to point the same way along it."""
    # Directions either way along a line are one at twice their angle: counted in bins of
    # 1.25 degrees of direction, summed over the pi / 12 either side of each.
    doubled = np.mod(2 * np.arctan2(steps[:, 1], steps[:, 0]), 2 * np.pi)
    bin_of = (doubled / (2 * np.pi) * ANGLE_BINS).astype(int) % ANGLE_BINS
    bins = np.bincount(bin_of, minlength=ANGLE_BINS)
    reach = ANGLE_BINS // 12
    near = sum(np.roll(bins, shift) for shift in range(-reach, reach + 1))
    commonest = near.argmax()
    # The steps counted in the commonest bins themselves (chosen by angle from their middle,
    # those of a run of equal counts could all lie just outside it, leaving none).
    apart = np.abs(bin_of - commonest)
    along = steps[np.minimum(apart, ANGLE_BINS - apart) <= reach]
    angle = (commonest + 0.5) * np.pi / ANGLE_BINS
    towards = np.array([np.cos(angle), np.sin(angle)])
    return np.median(np.where((along @ towards < 0)[:, None], -along, along), axis=0)


def _places(origin: np.ndarray, basis: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(m, 2) x, y of every place in an image of `shape` that the lattice puts a dot."""
    h, w = shape
    corners = (np.array([[0, 0], [w, 0], [0, h], [w, h]]) - origin) @ np.linalg.inv(basis).T
    low, high = np.floor(corners.min(axis=0)), np.ceil(corners.max(axis=0))
    grid = np.stack(np.meshgrid(*(np.arange(a, b + 1) for a, b in zip(low, high, strict=True))), -1)
    places = origin + grid.reshape(-1, 2) @ basis.T
    inside = (places >= 0).all(axis=1) & (places[:, 0] < w) & (places[:, 1] < h)
    return places[inside]


def _touching(ink: np.ndarray, places: np.ndarray, radius: float) -> np.ndarray:
    """(h, w) bool: the disks of `radius` round `places` that hold ink but are not filled by
    it, where taking the disk off leaves the ink round it in as many pieces as before."""
    taken = np.zeros_like(ink)
    reach = int(np.ceil(radius)) + 2
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * int(radius) + 1,) * 2)
    near_ink = cv2.dilate(ink.astype(np.uint8), kernel) > 0
    inked_places = places[near_ink[places[:, 1].astype(int), places[:, 0].astype(int)]]
    for x, y in _central(inked_places, ink.shape)[:MAX_TOUCHING]:
        x0, y0 = max(0, int(x) - reach), max(0, int(y) - reach)
        window = ink[y0 : int(y) + reach + 1, x0 : int(x) + reach + 1]
        yy, xx = np.ogrid[y0 : y0 + window.shape[0], x0 : x0 + window.shape[1]]
        disk = (xx - x) ** 2 + (yy - y) ** 2 <= radius**2
        inked = window & disk
        if not inked.any() or inked.sum() >= FULL_DISK * disk.sum():
            continue
        if _pieces(window & ~disk) == _pieces(window):
            taken[y0 : y0 + window.shape[0], x0 : x0 + window.shape[1]] |= inked
    return taken


def _pieces(ink: np.ndarray) -> int:
    return cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)[0] - 1
