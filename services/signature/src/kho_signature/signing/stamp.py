"""The visible stamp drawn on signed documents, in Vietnamese, with a TrueType font.

pyHanko's embedded-font engine writes glyph advances in font units into the font's /W array, which PDF
reads in thousandths of an em. DejaVu (like most TrueType fonts) has 2048 units per em, so the letters came
out about twice too far apart. We prepare the font once: scaled to 1000 units per em and subset to the
Latin and Vietnamese repertoire. Then font units and PDF glyph space agree, and the font file is small
enough to load on every signature.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# Basic Latin, Latin-1, Latin Extended-A/B, combining marks, Latin Extended Additional (Vietnamese),
# general punctuation, the dong sign.
_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x370),
    *range(0x1EA0, 0x1F00),
    *range(0x2010, 0x2028),
    0x20AB,
]

_lock = threading.Lock()
_prepared: dict[str, str] = {}


def prepared_font(source: str = DEFAULT_FONT, cache_dir: str | None = None) -> str:
    """Path of the font scaled to 1000 units per em and subset for Vietnamese (built once, cached on disk)."""
    with _lock:
        if source in _prepared and Path(_prepared[source]).exists():
            return _prepared[source]
        stat = os.stat(source)
        tag = hashlib.sha256(f"{source}:{stat.st_size}:{stat.st_mtime_ns}:v2".encode()).hexdigest()[:16]
        directory = Path(cache_dir or tempfile.gettempdir()) / "kho-signature-fonts"
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"{Path(source).stem}-{tag}.ttf"
        if not target.exists():
            font = TTFont(source)
            if font["head"].unitsPerEm != 1000:
                scale_upem(font, 1000)
            options = subset.Options()
            options.name_IDs = ["*"]
            options.notdef_outline = True
            options.layout_features = ["kern", "liga", "ccmp", "mark", "mkmk"]
            options.hinting = False  # the stamp is rendered at any scale; hints only cost space and time
            subsetter = subset.Subsetter(options=options)
            subsetter.populate(unicodes=_UNICODES)
            subsetter.subset(font)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            font.save(str(tmp))
            tmp.replace(target)
        _prepared[source] = str(target)
        return str(target)


@dataclass(frozen=True)
class _PreparedFontFactory(GlyphAccumulatorFactory):
    """Embeds the prepared font whole: it is already a small subset (about 70 kB), and subsetting it again
    for every signature cost more than a tenth of a second. Glyph ids stay the CIDs (CIDToGIDMap
    /Identity), as pyHanko's own TrueType subsets keep them."""

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> Any:
        engine = super().create_font_engine(writer, obj_stream)
        engine._subset_created = True
        cidfont = engine.cidfont_obj
        font_bytes = _font_bytes(self.font_file)

        def set_font_file(writer: Any) -> Any:
            # the file as prepared, instead of fontTools writing the same font out again
            stream = generic.StreamObject(stream_data=font_bytes)
            stream.compress()  # type: ignore[no-untyped-call]
            ref = writer.add_object(stream)
            cidfont._font_descriptor[generic.NameObject("/FontFile2")] = ref
            return ref

        cidfont.set_font_file = set_font_file  # type: ignore[method-assign]
        return engine


@functools.lru_cache(maxsize=8)
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


@dataclass(frozen=True)
class StampText:
    """What the stamp says, line by line: a heading (e.g. "BẢN SAO ĐIỆN TỬ ĐƯỢC CHỨNG THỰC TỪ BẢN CHÍNH"
    or the issuing agency), then labelled lines (number, date, signer). The signer's name and the time
    of signing are added by the signer when ``with_signer`` / ``with_time`` are set."""

    heading: str
    lines: tuple[str, ...] = ()
    with_signer: bool = True
    with_time: bool = True


@dataclass(frozen=True)
class StampLayout:
    page: int = -1
    """Page index (negative counts from the end)."""
    box: tuple[int, int, int, int] | None = None
    """(x1, y1, x2, y2) in points; by default the bottom-right corner of the page."""
    font_size: int = 9
    font_file: str = DEFAULT_FONT
    extra: dict[str, str] = field(default_factory=dict)


def stamp_style(text: StampText, layout: StampLayout) -> TextStampStyle:
    lines = [text.heading, *text.lines]
    if text.with_signer:
        lines.append("Người ký: %(signer)s")
    if text.with_time:
        lines.append("Thời gian ký: %(ts)s")
    # the stamp text is a %-format string: escape what the caller wrote
    body = "\n".join(line.replace("%", "%%") if "%(" not in line else line for line in lines)
    font = _PreparedFontFactory(prepared_font(layout.font_file), font_size=layout.font_size)
    return TextStampStyle(
        stamp_text=body,
        text_box_style=TextBoxStyle(font=font, font_size=layout.font_size, leading=int(layout.font_size * 1.35)),
        timestamp_format="%d/%m/%Y %H:%M:%S %z",
        border_width=1,
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(6),  # type: ignore[no-untyped-call]
        ),
    )


def stamp_box(page_width: float, lines: int, font_size: int) -> tuple[int, int, int, int]:
    height = int(lines * font_size * 1.35 + 16)
    right = int(page_width) - 30
    return (max(right - 330, 10), 30, right, 30 + height)
