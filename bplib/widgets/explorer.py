"""The widget mechanism: a pure ``render(**params) -> Figure`` plus controls, shown two ways.

- In a kernel (JupyterLab, Notebook, VS Code) an ``Explorer`` is a live ipywidgets view: moving a
  control calls ``render`` again and swaps the picture.
- On the published site there is no kernel, so the same display also carries a static fallback:
  every combination of control values is rendered once to PNG, and native ``<input type=range>`` /
  ``<select>`` elements swap those frames in the browser. No Python, no network.

The notebook front end picks the live view; the book (myst-nb) is told to prefer ``text/html``.
"""

from __future__ import annotations

import base64
import html
import inspect
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from bplib.plots.display import figure_to_png

STATIC_DPI = 72
STATIC_COLORS = 128  # palette size of pre-rendered frames: a third of the bytes, no visible loss
LIVE_DPI = 80
MAX_FRAMES = 64


@dataclass
class Slider:
    """A numeric control from ``min`` to ``max`` in steps of ``step`` (each step is one static frame)."""

    name: str
    min: float
    max: float
    step: float
    value: float | None = None
    label: str | None = None
    fmt: str = "{:.2f}"

    def __post_init__(self):
        if not self.max > self.min or self.step <= 0:
            raise ValueError(f"Slider {self.name!r}: need min < max and step > 0, got "
                             f"min={self.min}, max={self.max}, step={self.step}.")
        if self.value is None:
            self.value = self.min
        if not self.min <= self.value <= self.max:
            raise ValueError(f"Slider {self.name!r}: value {self.value} is outside [{self.min}, {self.max}].")
        self.value = self.values[self.index_of(self.value)]

    @property
    def values(self) -> list:
        count = int(round((self.max - self.min) / self.step)) + 1
        grid = self.min + self.step * np.arange(count)
        if self.is_integer:
            return [int(round(v)) for v in grid]
        return [float(round(v, 10)) for v in grid]

    @property
    def is_integer(self) -> bool:
        return all(float(v).is_integer() for v in (self.min, self.max, self.step))

    def index_of(self, value) -> int:
        return int(np.argmin([abs(v - value) for v in self.values]))

    def text(self, value) -> str:
        return str(value) if self.is_integer else self.fmt.format(value)


@dataclass
class Choice:
    """A control choosing one of a few options; ``labels`` default to ``str(option)``."""

    name: str
    options: Sequence
    value: object = None
    label: str | None = None
    labels: Sequence[str] | None = field(default=None)

    def __post_init__(self):
        self.options = list(self.options)
        if not self.options:
            raise ValueError(f"Choice {self.name!r}: needs at least one option.")
        if self.value is None:
            self.value = self.options[0]
        if self.value not in self.options:
            raise ValueError(f"Choice {self.name!r}: value {self.value!r} is not one of {self.options}.")
        self.labels = [str(o) for o in self.options] if self.labels is None else list(self.labels)
        if len(self.labels) != len(self.options):
            raise ValueError(f"Choice {self.name!r}: got {len(self.labels)} labels for {len(self.options)} "
                             "options; give one label per option.")

    @property
    def values(self) -> list:
        return self.options

    def index_of(self, value) -> int:
        return self.options.index(value)

    def text(self, value) -> str:
        return self.labels[self.index_of(value)]


Control = Slider | Choice


def _check_control_names(render, controls) -> None:
    """Every control must name a parameter of ``render`` (unless it takes ``**params``)."""
    try:
        parameters = inspect.signature(render).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    name = getattr(render, "__name__", "render")
    for c in controls:
        if c.name not in parameters:
            raise ValueError(f"Explorer: control {c.name!r} is not a parameter of {name}; "
                             f"its parameters are {list(parameters)}.")


class Explorer:
    """A figure function plus controls; displays live in a kernel and as frames on a static page.

    render: called as ``render(**{control.name: value})``, returns a Figure.
    controls: the Sliders and Choices, in display order.
    alt: a sentence describing the figure, used as the image's alt text.
    """

    def __init__(self, render: Callable[..., Figure], controls: Sequence[Control], alt: str,
                 title: str = ""):
        if not alt:
            raise ValueError("Explorer: give an alt text describing the figure for readers who cannot see it.")
        if not callable(render):
            raise TypeError(f"Explorer: render must be a function render(**params) -> Figure, "
                            f"got {type(render).__name__}.")
        if isinstance(controls, (Slider, Choice)):
            raise TypeError("Explorer: controls must be a list of Sliders and Choices; for one control "
                            "write [control].")
        controls = list(controls)
        for i, c in enumerate(controls):
            if not isinstance(c, (Slider, Choice)):
                raise TypeError(f"Explorer: controls[{i}] is a {type(c).__name__}, not a Slider or Choice.")
        _check_control_names(render, controls)
        self.render = render
        self.controls = controls
        self._frame_png: dict[tuple[int, ...], bytes] = {}  # the static frames, reused by the live view
        self.alt = alt
        self.title = title
        n = self.num_frames
        if n > MAX_FRAMES:
            raise ValueError(f"Explorer: {n} combinations of control values is too many frames for the "
                             f"static page (limit {MAX_FRAMES}); use fewer slider steps or options.")

    @property
    def defaults(self) -> dict:
        return {c.name: c.value for c in self.controls}

    @property
    def num_frames(self) -> int:
        return int(np.prod([len(c.values) for c in self.controls])) if self.controls else 1

    def figure(self, **params) -> Figure:
        """The figure for ``params`` (missing ones take the controls' defaults)."""
        return self.render(**{**self.defaults, **params})

    def png(self, dpi: int = STATIC_DPI, colors: int | None = None, **params) -> bytes:
        return figure_to_png(self.figure(**params), dpi=dpi, colors=colors)

    # ------------------------------------------------------------ static fallback
    def frames(self) -> dict[str, str]:
        """Every frame as a data URL, keyed by control indices joined with '-' (e.g. '3-0')."""
        frames = {}
        for indices in itertools.product(*(range(len(c.values)) for c in self.controls)):
            params = {c.name: c.values[i] for c, i in zip(self.controls, indices)}
            self._frame_png[indices] = self.png(colors=STATIC_COLORS, **params)
            data = base64.b64encode(self._frame_png[indices]).decode("ascii")
            frames["-".join(map(str, indices))] = "data:image/png;base64," + data
        return frames

    def _grid_indices(self, params: dict) -> tuple[int, ...] | None:
        """The frame indices of ``params`` if every value lies on its control's grid, else None."""
        indices = []
        for c in self.controls:
            value = params[c.name]
            i = c.index_of(value)  # a Choice's value is always one of its options
            if isinstance(c, Slider) and abs(c.values[i] - value) > 1e-9 * c.step:
                return None  # between two frames
            indices.append(i)
        return tuple(indices)

    def live_png(self, **params) -> bytes:
        """The picture for the live view: a frame already drawn for the static page when there is
        one (a dictionary look-up instead of a ~100-200 ms matplotlib draw), else a fresh render."""
        params = {**self.defaults, **params}
        frame = self._frame_png.get(self._grid_indices(params))
        return frame if frame is not None else self.png(dpi=LIVE_DPI, **params)

    def _control_html(self, control: Control) -> str:
        label = html.escape(control.label or control.name)
        index = control.index_of(control.value)
        texts = [control.text(v) for v in control.values]
        if isinstance(control, Slider):
            return (f'<label class="bp-control">{label} '
                    f'<input type="range" min="0" max="{len(texts) - 1}" step="1" value="{index}" '
                    f"data-texts='{html.escape(json.dumps(texts))}' aria-label=\"{label}\"> "
                    f'<output>{html.escape(texts[index])}</output></label>')
        options = "".join(f'<option value="{i}"{" selected" if i == index else ""}>{html.escape(t)}</option>'
                          for i, t in enumerate(texts))
        return f'<label class="bp-control">{label} <select aria-label="{label}">{options}</select></label>'

    def static_html(self) -> str:
        """Self-contained HTML: controls, the default frame, all frames as JSON and a small script."""
        frames = self.frames()
        default_key = "-".join(str(c.index_of(c.value)) for c in self.controls)
        controls = "\n".join(self._control_html(c) for c in self.controls)
        title = f'<div class="bp-explorer-title">{html.escape(self.title)}</div>' if self.title else ""
        return f"""<div class="bp-explorer">{title}
<div class="bp-controls">{controls}</div>
<img class="bp-frame" alt="{html.escape(self.alt)}" src="{frames[default_key]}">
<script type="application/json" class="bp-frames">{json.dumps(frames)}</script>
<script>{_SWAP_SCRIPT}</script>
</div>"""

    # ---------------------------------------------------------------- live view
    def widget(self):
        """The live ipywidgets view (needs a kernel)."""
        import ipywidgets as w

        image = w.Image(value=self.live_png(), format="png", layout=w.Layout(max_width="100%"))
        inputs = {c.name: _live_control(w, c) for c in self.controls}

        def update(_change=None):
            image.value = self.live_png(**{name: widget.value for name, widget in inputs.items()})

        for widget in inputs.values():
            widget.observe(update, names="value")
        header = [w.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        return w.VBox([*header, w.HBox(list(inputs.values()), layout=w.Layout(flex_flow="row wrap")), image])

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": f"<{type(self).__name__}: {self.alt}>", "text/html": self.static_html()}
        try:
            bundle.update(self.widget()._repr_mimebundle_())
        except ImportError:
            pass
        bundle["text/plain"] = f"<{type(self).__name__}: {self.alt}>"
        return bundle


def _live_control(w, control: Control):
    description = control.label or control.name
    style = {"description_width": "initial"}
    if isinstance(control, Choice):
        return w.Dropdown(options=list(zip(control.labels, control.options)), value=control.value,
                          description=description, style=style)
    cls = w.IntSlider if control.is_integer else w.FloatSlider
    return cls(min=control.min, max=control.max, step=control.step, value=control.value,
               description=description, style=style,
               continuous_update=False)  # redraw on release: renders queue up while dragging


# Runs in the reader's browser: read every control's index, show the matching frame. The frames
# are parsed on first use, not at page load; on the site they arrive in a separate file when the
# explorer nears the screen (_ext/page_weight.py puts them on ``holder.bpFrames`` and calls
# ``root.bpShow``).
_SWAP_SCRIPT = """(function () {
  var root = document.currentScript.parentElement;
  var holder = root.querySelector('script.bp-frames');
  var img = root.querySelector('img.bp-frame');
  var inputs = root.querySelectorAll('.bp-controls input, .bp-controls select');
  var frames = null;
  function show() {
    var key = Array.prototype.map.call(inputs, function (el) { return el.value; }).join('-');
    inputs.forEach(function (el) {
      if (el.dataset.texts) { el.nextElementSibling.textContent = JSON.parse(el.dataset.texts)[el.value]; }
    });
    frames = frames || holder.bpFrames || (holder.textContent ? JSON.parse(holder.textContent) : null);
    if (frames && frames[key]) { img.src = frames[key]; }
  }
  root.bpShow = show;
  inputs.forEach(function (el) { el.addEventListener('input', show); el.addEventListener('change', show); });
})();"""
