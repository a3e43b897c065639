"""digitrec.numbers.segment: ink maps split into digit pieces (components, merges, cuts), no image files."""

from __future__ import annotations

import numpy as np
import pytest
from number_images import compose, five_with_detached_bar, glyph, touching, zero_in_halves

from digitrec.errors import UnusableImageError
from digitrec.imaging.masks import label_components
from digitrec.inference import Prediction
from digitrec.numbers import candidates, segment
from digitrec.numbers.components import SEGMENT_THRESHOLD
from digitrec.numbers.seams import GRID_STEP, SEAM_MARGIN, seams_through

# --- segment() on ink maps, no model ----------------------------------------------------------


def test_separated_digits_are_pieces_in_order():
    ink, spans = compose([glyph(d) for d in "2026"])
    pieces = segment.segment(ink)
    assert len(pieces) == 4
    for piece, (x0, x1) in zip(pieces, spans, strict=True):
        x, _, w, _ = piece.box
        assert x0 - 2 <= x and x + w <= x1 + 2


def test_empty_ink_map_has_no_pieces():
    assert segment.segment(np.zeros((50, 80), np.float32)) == []


def test_specks_of_noise_are_dropped():
    ink, _ = compose([glyph("3")])
    rng = np.random.default_rng(0)
    for y, x in rng.integers(0, ink.shape, (12, 2)):
        ink[y : y + 2, x : x + 2] = 1.0
    assert len(segment.segment(ink)) == 1


def test_detached_bar_of_a_five_stays_with_its_digit():
    assert label_components(five_with_detached_bar() > SEGMENT_THRESHOLD)[1] == 2
    ink, spans = compose([glyph("1"), five_with_detached_bar(), glyph("7")])
    pieces = segment.segment(ink)
    assert len(pieces) == 3
    x, _, w, _ = pieces[1].box
    assert (x, x + w) == pytest.approx(spans[1], abs=2), "the bar belongs to the 5"


class ReadsByWidth:
    """A stand-in model sure of pieces at least half as wide as tall, unsure of narrower ones.

    Half of a broken 0 is such a narrow piece: the bundled model, trained with outlier
    exposure, is unsure of most halves of digits.
    """

    number_threshold = 0.5

    def predict(self, images, threshold=None):
        predictions = []
        for image in images:
            cols = np.flatnonzero(image.max(axis=0) > 0.25)
            rows = np.flatnonzero(image.max(axis=1) > 0.25)
            sure = cols.size and (cols[-1] - cols[0] + 1) >= 0.5 * (rows[-1] - rows[0] + 1)
            confidence = 0.99 if sure else 0.3
            probabilities = (confidence,) + ((1 - confidence) / 9,) * 9
            predictions.append(Prediction(0, confidence, probabilities, bool(sure)))
        return predictions


def test_halves_of_a_broken_loop_that_read_better_together_are_one_piece():
    halves = zero_in_halves()
    assert label_components(halves > SEGMENT_THRESHOLD)[1] == 2
    ink, spans = compose([glyph("2"), halves])
    pieces = segment.segment(ink, ReadsByWidth())
    assert len(pieces) == 2
    x, _, w, _ = pieces[1].box
    assert (x, x + w) == pytest.approx(spans[1], abs=2), "one piece spans both halves"


class ReadsEverythingAsThree:
    """A stand-in recogniser sure of every piece, so its confidences cannot choose cuts; it
    counts what it is asked, and may have a `cut_judge`."""

    number_threshold = 0.5

    def __init__(self, cut_judge=None):
        self.cut_judge = cut_judge
        self.images_read = 0

    def predict(self, images, threshold=None):
        self.images_read += len(images)
        probabilities = (0.0,) * 3 + (0.99,) + (0.01 / 9,) * 6
        return [Prediction(3, 0.99, probabilities, True) for _ in images]


def test_a_cut_judge_chooses_the_cuts_and_the_recogniser_reads_the_digits():
    ink, spans = compose([glyph("2"), zero_in_halves()])
    alone = segment.segment(ink, ReadsEverythingAsThree())
    assert len(alone) == 3, "sure of everything, the priors keep the halves apart"
    recogniser = ReadsEverythingAsThree(cut_judge=ReadsByWidth())
    pieces = segment.segment(ink, recogniser)
    assert len(pieces) == 2, "the judge, unsure of half a 0, joins the halves"
    x, _, w, _ = pieces[1].box
    assert (x, x + w) == pytest.approx(spans[1], abs=2)
    assert [p.prediction.digit for p in pieces] == [3, 3], "the digits are the recogniser's"
    assert recogniser.images_read == 2, "the recogniser reads only the chosen pieces"


def test_straight_cuts_are_offered_every_grid_step_across_a_wide_group():
    h, w = 50, 120
    mask = np.ones((h, w), bool)
    seams = seams_through(mask.astype(np.float32), mask)
    straight = {int(s[0]) for s in seams if (s == s[0]).all()}
    edge, step = round(SEAM_MARGIN * h), round(GRID_STEP * h)
    assert set(range(edge, w - edge, step)) <= straight
    assert seams_through(mask[:, :20].astype(np.float32), mask[:, :20]).size == 0, "narrow"


def test_neighbours_are_not_joined_without_a_model():
    assert len(segment.segment(compose([zero_in_halves()])[0])) == 2


def test_a_too_wide_piece_is_cut_without_a_model():
    assert len(segment.segment(touching("47"))) == 2


def test_any_ink_map_gives_pieces_inside_it():
    rng = np.random.default_rng(2)
    for _ in range(300):
        h, w = rng.integers(1, 50, 2)
        ink = (rng.random((h, w)) < rng.random()) * rng.random((h, w))
        try:
            pieces = segment.segment(ink.astype(np.float32))
        except UnusableImageError as refused:  # noise of more marks than a number has
            assert f"up to {candidates.MAX_GROUPS} digits" in str(refused)
            continue
        for piece in pieces:
            x, y, pw, ph = piece.box
            assert x >= 0 and y >= 0 and x + pw <= w and y + ph <= h
            assert piece.ink.shape == (ph, pw)


@pytest.mark.parametrize("density", [0.05, 0.3, 0.8])
def test_boxes_found_for_all_boundary_pairs_at_once_are_the_cut_out_pieces_boxes(density):
    rng = np.random.default_rng(int(density * 100))
    for _ in range(40):
        h, w = rng.integers(1, 40, 2)
        mask = rng.random((h, w)) < density
        ink = mask * rng.random((h, w)).astype(np.float32)
        # Boundaries as seams make them: one column per row, from -1 to w - 1, in order.
        inner = np.sort(rng.integers(-1, w, (int(rng.integers(0, 6)), h)), axis=0)
        boundaries = np.vstack([np.full((1, h), -1), inner, np.full((1, h), w - 1)])
        pairs = [(s, e) for s in range(len(boundaries)) for e in range(len(boundaries))]
        starts, ends = [s for s, _ in pairs], [e for _, e in pairs]
        boxes = candidates._boxes_between(mask, boundaries, starts, ends)
        group = candidates.Group([1], 0, 0, int(w), int(h), 0.0)
        for (start, end), box in zip(pairs, boxes, strict=True):
            piece = candidates._piece_between(
                ink, mask, mask, group, boundaries[start], boundaries[end]
            )
            assert box == (piece.box if piece else None)


def test_candidates_cut_out_their_ink_only_when_it_is_asked_for():
    offered, _, _ = candidates.candidate_pieces(touching("4711"))
    assert len(offered) > 10
    assert not any("piece" in vars(c) for c in offered), "no ink cut out yet"
    for candidate in offered:
        assert candidate.piece.box == candidate.box
        assert candidate.piece.ink.shape == candidate.box[:1:-1]


def test_ink_map_must_be_two_dimensional():
    with pytest.raises(ValueError, match="2-D"):
        segment.segment(np.zeros((4, 4, 3), np.float32))


# --- second opinion on candidate pieces ---------------------------------------------------------


def test_thicker_strokes_are_one_pixel_wider_each_way():
    images = np.zeros((1, 28, 28), np.float32)
    images[0, 5:20, 10] = 1.0  # a vertical stroke one pixel wide
    images[0, 24, 3:9] = 0.5  # a horizontal one
    wider = segment._thicker_strokes(images)[0]
    assert np.flatnonzero(wider[12] == 1.0).tolist() == [10, 11]
    assert np.flatnonzero(wider[:, 5] == 0.5).tolist() == [24, 25]
    assert (wider >= images[0]).all()


class ReadsByStrokeWidth:
    """A stand-in model that reads thin strokes as a 7 and strokes two pixels wide as a 1."""

    number_threshold = 0.5

    def __init__(self):
        self.images_read = 0

    def predict(self, images, threshold=None):
        self.images_read += len(images)
        predictions = []
        for image in images:
            thick = (image[:, 1:] * image[:, :-1] > 0).any()
            digit = 1 if thick else 7
            probabilities = [0.01] * 10
            probabilities[digit] = 0.91
            predictions.append(Prediction(digit, 0.91, tuple(probabilities), True))
        return predictions


def test_a_reading_that_changes_with_stroke_width_loses_confidence():
    framed = np.zeros((2, 28, 28), np.float32)
    framed[0, 4:24, 14] = 1.0  # thin: a 7 plain, a 1 thicker
    framed[1, 4:24, 14:16] = 1.0  # already two pixels wide: a 1 either way
    model = ReadsByStrokeWidth()
    plain = model.predict(framed)
    confidences = segment._second_opinion(model, framed, plain)
    assert confidences[0] == pytest.approx((0.91 * 0.01) ** 0.5)
    assert confidences[1] == pytest.approx(0.91)


def test_pieces_read_unsurely_are_not_read_a_second_time():
    framed = np.zeros((2, 28, 28), np.float32)
    framed[:, 4:24, 14] = 1.0
    unsure = Prediction(7, segment.SECOND_OPINION_FLOOR / 2, (0.1,) * 10, False)
    blank = Prediction(None, 0.0, (0.1,) * 10, False)
    model = ReadsByStrokeWidth()
    confidences = segment._second_opinion(model, framed, [unsure, blank])
    assert confidences == [unsure.confidence, 0.0]
    assert model.images_read == 0
