"""Folders of small digit images for the batch tests, made on the spot."""

from __future__ import annotations

from pathlib import Path

from conftest import synthetic_split
from PIL import Image


def write_digits(folder: Path, count: int, seed: int = 3) -> list[Path]:
    """`count` MNIST-style digit PNGs named 0000.png, 0001.png, ... in `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(synthetic_split(count, seed).images):
        path = folder / f"{i:04d}.png"
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths


def write_non_images(folder: Path) -> list[Path]:
    """A text file and a PNG cut off after its header: one not an image, one broken."""
    folder.mkdir(parents=True, exist_ok=True)
    notes = folder / "notes.txt"
    notes.write_text("not an image")
    broken = folder / "broken.png"
    digit = write_digits(folder / "whole", 1)[0]
    broken.write_bytes(digit.read_bytes()[:60])
    return [notes, broken]
