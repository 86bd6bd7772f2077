"""Light and dark themes: every chart colour reads on both backgrounds, and good/bad colours keep their meaning."""

from __future__ import annotations

import colorsys
import itertools
import math
import re
import tomllib
from pathlib import Path

import pytest

from analytics.figures import style
from analytics.figures.style import contrast

ROOT = Path(__file__).resolve().parents[1]
HEX = re.compile(r"""["'](#[0-9a-fA-F]{6})["']""")
# CSS colour names the figures might use, as sRGB
NAMES = {"black": "#000000", "white": "#ffffff", "grey": "#808080", "gray": "#808080", "lightgrey": "#d3d3d3",
         "lightgray": "#d3d3d3", "darkgrey": "#a9a9a9", "darkgray": "#a9a9a9", "dimgrey": "#696969",
         "dimgray": "#696969", "silver": "#c0c0c0"}
NAMED = re.compile(r"""color\s*=\s*["'](%s)["']""" % "|".join(NAMES))


def lab(hex_color: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour."""
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    x, y, z = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
               (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def chart_colours() -> dict[str, str]:
    """Every colour the figures draw with by name: the palette, the verdicts, the outcomes, the neutrals."""
    colours = {f"palette {i}": c for i, c in enumerate(style.PALETTE)}
    colours.update({f"verdict {k}": c for k, c in style.VERDICT_COLORS.items()})
    colours.update({f"outcome {k}": c for k, c in style.OUTCOME_COLORS.items()})
    colours.update({"other": style.OTHER_COLOR, "ink": style.INK})
    return colours


def test_the_contrast_ratio_is_wcags():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


def test_the_backgrounds_checked_are_the_ones_the_app_is_configured_with():
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
    for name, background in style.BACKGROUNDS.items():
        assert theme[name]["backgroundColor"].lower() == background
        # charts whose traces set no colour get the same palette in both themes
        assert [c.lower() for c in theme[name]["chartCategoricalColors"]] == style.PALETTE


@pytest.mark.parametrize("theme", list(style.BACKGROUNDS))
def test_every_chart_colour_meets_the_contrast_floor_on_both_backgrounds(theme):
    background = style.BACKGROUNDS[theme]
    weak = {name: round(contrast(c, background), 2) for name, c in chart_colours().items()
            if contrast(c, background) < style.CONTRAST_FLOOR}
    assert not weak, f"below {style.CONTRAST_FLOOR}:1 on the {theme} background {background}: {weak}"


def test_every_colour_written_into_a_figure_module_meets_the_floor_on_both_backgrounds():
    offenders = []
    for path in sorted((ROOT / "analytics" / "figures").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for colour in HEX.findall(text) + [NAMES[n] for n in NAMED.findall(text)]:
            if colour.lower() in style.BACKGROUNDS.values():         # the backgrounds themselves (style.py)
                continue
            low = [t for t, bg in style.BACKGROUNDS.items() if contrast(colour, bg) < style.CONTRAST_FLOOR]
            if low:
                offenders.append(f"{path.name}: {colour} below {style.CONTRAST_FLOOR}:1 on {', '.join(low)}")
    assert not offenders, offenders


def test_message_colours_are_told_apart_from_each_other():
    closest = min((math.dist(lab(a), lab(b)), a, b) for a, b in itertools.combinations(style.PALETTE, 2))
    assert closest[0] > 20, closest             # CIELAB distance: 2 is barely visible, 20 plainly different
    assert len(style.PALETTE) >= 10


def test_good_and_bad_keep_their_meaning_in_both_themes():
    def hue(c):
        h, _, s = colorsys.rgb_to_hls(*(int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)))
        return 360 * h, s
    harmful, helpful, uncertain = (hue(style.VERDICT_COLORS[k]) for k in ("harmful", "helpful", "uncertain"))
    assert harmful[0] < 15 or harmful[0] > 345          # red
    assert 200 < helpful[0] < 230                       # blue: a pair read apart with red-green colour blindness
    assert uncertain[1] < 0.05                          # grey: "can't tell yet" carries no direction
    positive, objection = hue(style.OUTCOME_COLORS["Positive"]), hue(style.OUTCOME_COLORS["Objection"])
    assert 140 < positive[0] < 180 and 15 < objection[0] < 40        # green-teal vs orange
    assert math.dist(lab(style.VERDICT_COLORS["harmful"]), lab(style.VERDICT_COLORS["helpful"])) > 40
