"""Show pyplot-free ``Figure`` objects in notebooks.

bplib draws on ``matplotlib.figure.Figure`` directly, so figures never pile up in pyplot's global
state and never appear twice. IPython does not know how to show such a figure until told: this
registers a PNG formatter (without a timestamp, so stored outputs stay byte-identical on re-run).
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from PIL import Image

DPI = 100


def figure_to_png(fig: Figure, dpi: int = DPI, colors: int | None = None) -> bytes:
    """PNG bytes of ``fig``, with no metadata (deterministic).

    colors: reduce to a palette of this many colours (about 3x smaller files, for the many
    pre-rendered frames of a static page); None keeps full colour.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    if colors is None:
        return buffer.getvalue()
    buffer.seek(0)
    image = Image.open(buffer).convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    small = io.BytesIO()
    image.save(small, format="png", optimize=True)
    return small.getvalue()


def register_notebook_display() -> bool:
    """Teach a running IPython to display ``Figure`` objects as PNG; returns whether it is running."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_to_png)
    return True
