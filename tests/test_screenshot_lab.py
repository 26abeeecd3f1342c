"""The screenshot tool's broken-image rule, without a browser (the browser run is tools/screenshot_lab.py itself)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.screenshot_lab import IMAGES_STATE, broken_images, still_loading  # noqa: E402


def _image(src: str, width: int, complete: bool = True, local: bool = True) -> dict:
    return {"src": src, "width": width, "complete": complete, "local": local}


def test_a_local_image_without_pixels_is_broken():
    images = [_image("data:image/png;base64,iVBOR", 640), _image("files/img/missing.png", 0)]
    assert broken_images(images) == ["files/img/missing.png"]


def test_images_from_other_sites_are_not_judged_offline():
    assert broken_images([_image("https://colab.research.google.com/assets/colab-badge.svg", 0, local=False)]) == []


def test_images_still_loading_are_waited_for_not_called_broken():
    images = [_image("files/img/big.png", 0, complete=False)]
    assert still_loading(images) and broken_images(images) == []


def test_the_page_script_reads_natural_width_of_every_image_in_the_notebook():
    assert "naturalWidth" in IMAGES_STATE and "querySelectorAll('img')" in IMAGES_STATE
