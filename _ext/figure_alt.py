"""Give every notebook figure on the site an alt text: its caption.

Each chapter follows a figure with a caption paragraph that starts "Figure:". This transform finds
image outputs of notebook cells that have no alt text and copies the caption that follows the
cell into ``alt``, so screen readers describe the figure. A figure without such a caption is
reported as a warning, which fails the strict (-W) build: every figure must be explained.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _enclosing_cell(node: nodes.Node) -> nodes.Element | None:
    while node is not None and "cell" not in getattr(node, "get", lambda *_: [])("classes", []):
        node = node.parent
    return node


def _caption_after(cell: nodes.Element) -> str | None:
    sibling = cell.next_node(descend=False, siblings=True)
    if isinstance(sibling, nodes.paragraph):
        text = " ".join(sibling.astext().split())
        if text.startswith("Figure:"):
            return text.removeprefix("Figure:").split(". ")[0].strip().rstrip(".") + "."
    return None


class FigureAltFromCaption(SphinxTransform):
    default_priority = 900

    def apply(self, **kwargs) -> None:
        for image in self.document.findall(nodes.image):
            if image.get("alt"):
                continue
            cell = _enclosing_cell(image)
            if cell is None:
                continue
            caption = _caption_after(cell)
            if caption is None:
                logger.warning("a notebook figure has no caption: follow the cell with a paragraph "
                               "starting 'Figure:' that says what it shows", location=image)
                continue
            image["alt"] = caption


def setup(app):
    app.add_transform(FigureAltFromCaption)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
