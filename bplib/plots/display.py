"""Show pyplot-free ``Figure`` objects in notebooks, and turn figures into PNG bytes quickly.

bplib draws on ``matplotlib.figure.Figure`` directly, so figures never pile up in pyplot's global
state and never appear twice. IPython does not know how to show such a figure until told: this
registers a PNG formatter (without a timestamp, so stored outputs stay byte-identical on re-run).

Speed: matplotlib keeps its text measurements and parsed math per *renderer*, and ``savefig`` makes
a new renderer for every new figure, so an explorer that draws a fresh figure per slider position
would measure every label again. ``figure_to_png`` draws every figure of a given pixel size on one
shared Agg renderer instead, which keeps those caches warm (up to a third of a redraw's time).
"""

from __future__ import annotations

import functools
import io
import threading

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from PIL import Image

DPI = 100
_SHARED_RENDERER_LOCK = threading.Lock()  # one figure at a time on a shared renderer


@functools.lru_cache(maxsize=8)
def _shared_renderer(width: int, height: int, dpi: float) -> RendererAgg:
    """One Agg renderer per picture size, reused by every figure of that size."""
    return RendererAgg(width, height, dpi)


def figure_image(fig: Figure, dpi: int = DPI) -> Image.Image:
    """The figure drawn at ``dpi`` as an RGB PIL image (the figure itself is left as it was)."""
    if fig.get_layout_engine() is not None:
        # A layout engine measures the figure on its own renderer; let it settle first, as
        # savefig does, so the drawing below matches savefig pixel for pixel.
        _with_dpi(fig, dpi, fig.draw_without_rendering)

    def draw() -> Image.Image:
        width, height = (int(v) for v in fig.bbox.max)  # as savefig sizes it
        with _SHARED_RENDERER_LOCK:  # figures drawn from several threads wait their turn
            renderer = _shared_renderer(width, height, dpi)
            renderer.clear()
            fig.draw(renderer)
            pixels = Image.frombuffer("RGBA", (width, height), renderer.buffer_rgba(), "raw", "RGBA", 0, 1)
            return pixels.convert("RGB")  # a copy: the shared buffer is drawn over by the next figure

    return _with_dpi(fig, dpi, draw)


def _with_dpi(fig: Figure, dpi: float, action):
    old = fig.dpi
    fig.dpi = dpi
    try:
        return action()
    finally:
        fig.dpi = old


def figure_to_png(fig: Figure, dpi: int = DPI, colors: int | None = None) -> bytes:
    """PNG bytes of ``fig``, with no metadata (deterministic).

    colors: reduce to a palette of this many colours (about 3x smaller files, for the many
    pre-rendered frames of a static page); None keeps full colour and favours encoding speed.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"figure_to_png: fig must be a matplotlib Figure, got {type(fig).__name__}; "
                        "plot functions return one, e.g. fig = bp.plots.loss_curves(history).")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"figure_to_png: dpi must be a positive number of dots per inch, got {dpi!r}.")
    image = figure_image(fig, dpi)
    buffer = io.BytesIO()
    if colors is None:
        image.save(buffer, format="png", compress_level=1)
    else:
        image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(buffer, format="png", optimize=True)
    return buffer.getvalue()


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
