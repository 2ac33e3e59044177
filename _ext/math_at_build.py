"""Typeset the math when the site is built, so a page carries no math script.

sphinxcontrib-katex (with ``katex_prerender``) turns every formula into HTML during the build,
running KaTeX in Node.js. A reader's browser then only needs KaTeX's style sheet and the few
fonts a page uses; before this, MathJax's 260 KiB script typeset each page on arrival, the
largest cost on a chapter page after the theme's own scripts (benchmarks/bench_pages.py).

This extension serves that style sheet and the fonts from the site itself (the package's
default is a CDN, which an offline site cannot reach). They come from the npm package
``katex`` (package.json, installed by ``make book`` with ``npm ci``), of the version the Python
package renders with, so the HTML and its style sheet always match. A formula KaTeX cannot
typeset fails the build with KaTeX's message (the formula, the position), rather than showing red
TeX to a reader.

sphinxcontrib-katex starts its Node server and connects to the server's socket as soon as the
socket's file exists. Node creates that file a moment before it listens, and a connect in between
is refused: on a loaded 2-core machine that failed about one build or test run in a few dozen
(ConnectionRefusedError). The server is started here the same way, with a refused connect tried
again until the package's own start-up timeout.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

from sphinx.errors import ExtensionError

STATIC = "katex"  # folder under _static/
NPM_DIST = Path(__file__).resolve().parents[1] / "node_modules" / "katex" / "dist"


def _npm_katex_version() -> str | None:
    package = NPM_DIST.parent / "package.json"
    return json.loads(package.read_text())["version"] if package.is_file() else None


def _check_katex(app) -> None:
    from sphinxcontrib import katex

    found = _npm_katex_version()
    if found != katex.katex_version:
        raise ExtensionError(
            f"The site's math needs the npm package katex {katex.katex_version} in node_modules/ "
            f"(found {found or 'none'}). Run 'npm ci' in the repository (make book does), with "
            "Node.js installed.")
    app.config.katex_css_path = f"{STATIC}/katex.min.css"


def _copy_style_and_fonts(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static" / STATIC
    (out / "fonts").mkdir(parents=True, exist_ok=True)
    shutil.copy2(NPM_DIST / "katex.min.css", out / "katex.min.css")
    # every browser the theme supports reads woff2, the first source the style sheet lists
    for font in (NPM_DIST / "fonts").glob("*.woff2"):
        shutil.copy2(font, out / "fonts" / font.name)


def _start_server_process(cls, rundir: Path, timeout: float):
    """sphinxcontrib-katex's ``KaTeXServer.start_server_process``, connecting once Node listens:
    (process, connected socket), or the package's timeout error after ``timeout`` seconds."""
    socket_path = rundir / "katex.sock"
    process = subprocess.Popen(cls.build_command(socket=socket_path), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, cwd=rundir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if socket_path.is_socket():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                sock.connect(str(socket_path))
            except ConnectionRefusedError:  # the file is there, the server not listening yet
                sock.close()
            except TimeoutError:
                sock.close()
                break
            else:
                sock.settimeout(None)  # as the package uses it: blocking
                return process, sock
        time.sleep(0.001)
    raise cls.timeout_error(timeout)


def setup(app):
    from sphinxcontrib import katex

    app.setup_extension("sphinxcontrib.katex")  # _config.yml: html_math_renderer, katex_prerender
    # the package's build-time default renders a bad formula in red and carries on
    katex.KATEX_DEFAULT_OPTIONS["throwOnError"] = True
    katex.KaTeXServer.start_server_process = classmethod(_start_server_process)
    app.connect("builder-inited", _check_katex, priority=400)  # before sphinxcontrib.katex's (500)
    app.connect("build-finished", _copy_style_and_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
