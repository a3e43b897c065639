"""The light conditions of bench/wild.py, each a named function (glyph, rng) -> Picture as in
bench/wild_conditions.py: the ordinary photo (bench/wild_shot.py) under other light, from a
gradient to a dim room, a shadow's edge, a flash, or the creases of a folded page.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from wild_render import gradient_light, shadow_light, smooth_noise, vignette_light
from wild_shot import Picture, ordinary_shot, photograph


def gradient(glyph, rng) -> Picture:
    return photograph(replace(ordinary_shot(rng), light=gradient_light), glyph, rng)


def vignette(glyph, rng) -> Picture:
    return photograph(replace(ordinary_shot(rng), light=vignette_light), glyph, rng)


def shadow_hard(glyph, rng) -> Picture:
    shot = ordinary_shot(rng)
    softness = rng.uniform(1, 4)
    return photograph(replace(shot, light=lambda s, r: shadow_light(s, r, softness)), glyph, rng)


def shadow_soft(glyph, rng) -> Picture:
    shot = ordinary_shot(rng)
    softness = rng.uniform(0.05, 0.2) * max(shot.size)
    return photograph(replace(shot, light=lambda s, r: shadow_light(s, r, softness)), glyph, rng)


def flash_glare(glyph, rng) -> Picture:
    return photograph(replace(ordinary_shot(rng), flash=True), glyph, rng)


def overexposed(glyph, rng) -> Picture:
    """Bright light and an exposure set for a darker scene: much of the paper blown out to
    pure white, its light still falling off beyond (towards the corners, across the page or
    past a shadow's edge), as a phone meters a white page in the sun."""
    falloffs = (
        vignette_light,
        gradient_light,
        lambda s, r: shadow_light(s, r, r.uniform(1, 0.1 * max(s))),
    )
    falloff = falloffs[int(rng.integers(len(falloffs)))]
    gain = rng.uniform(1.25, 1.8)
    return photograph(
        replace(ordinary_shot(rng), light=lambda s, r: gain * falloff(s, r)), glyph, rng
    )


def low_light(glyph, rng) -> Picture:
    """An under-exposed photo, indoors at dusk: the page at a fifth to a half of its light, the
    sensor's noise no less for it, the JPEG rougher."""
    shot = ordinary_shot(rng)
    gain = rng.uniform(0.2, 0.5)
    falloff = shot.light if rng.random() < 0.5 else vignette_light
    return photograph(
        replace(
            shot,
            light=lambda s, r: gain * falloff(s, r),
            noise=rng.uniform(3, 12),
            quality=int(rng.integers(60, 85)),
        ),
        glyph,
        rng,
    )


def _fold_light(size, rng) -> np.ndarray:
    """(h, w) the light on a page folded and opened again: one or two straight creases at any
    angle across the page, each a thin dark line with the page beyond it tilted a little away
    from the light."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    light = np.ones((h, w), np.float32)
    for _ in range(int(rng.integers(1, 3))):
        angle = rng.uniform(0, np.pi)
        across = (xs - w * rng.uniform(0.3, 0.7)) * np.cos(angle) + (
            ys - h * rng.uniform(0.3, 0.7)
        ) * np.sin(angle)
        facet = 1 - rng.uniform(0.05, 0.2) * (across > 0) * np.exp(
            -np.abs(across) / (0.3 * max(w, h))
        )
        crease = 1 - rng.uniform(0.12, 0.3) * np.exp(-((across / rng.uniform(1.0, 2.5)) ** 2))
        light *= facet * crease
    return light


def folded(glyph, rng) -> Picture:
    """A page that was folded (a note from a pocket, a letter): its creases cross the page, and
    often the digit, as thin straight lines at any angle."""
    shot = ordinary_shot(rng)
    light = lambda s, r: _fold_light(s, r) * shot.light(s, r)  # noqa: E731
    return photograph(replace(shot, light=light), glyph, rng)


def _hand_shadow_light(size, rng) -> np.ndarray:
    """(h, w) light with the shadow of a hand, a head or a phone over part of the page: the
    inside of a large circle reaching in from beyond a side, its edge curved and wavering,
    blurred over 0.5-4 % of the picture, 35-60 % of the light beneath."""
    w, h = size
    ys, xs = np.ogrid[0:h, 0:w]
    side = max(w, h)
    radius = rng.uniform(0.5, 1.2) * side
    angle = rng.uniform(0, 2 * np.pi)
    reach = rng.uniform(0.2, 0.6) * side  # how far past the middle of the page the edge comes
    cx = w / 2 + (radius + side / 2 - reach) * np.cos(angle)
    cy = h / 2 + (radius + side / 2 - reach) * np.sin(angle)
    waver = 0.04 * side * (smooth_noise((h, w), rng, side / 4) - 0.5)
    inside = radius - np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2) + waver
    softness = rng.uniform(0.005, 0.04) * side
    shade = 1 / (1 + np.exp(np.clip(-inside / (softness / 4), -30, 30)))
    return (1 - rng.uniform(0.35, 0.6) * shade).astype(np.float32)


def hand_shadow(glyph, rng) -> Picture:
    return photograph(replace(ordinary_shot(rng), light=_hand_shadow_light), glyph, rng)
