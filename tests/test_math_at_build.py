"""The site's math is typeset while the site is built (KaTeX, _ext/math_at_build.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import math_at_build  # noqa: E402
from sphinx.errors import ExtensionError  # noqa: E402


class _App:
    class config:  # noqa: N801 - stands in for Sphinx's app.config
        katex_css_path = "https://cdn.example/katex.min.css"


def test_the_style_sheet_is_served_by_the_site_when_npm_katex_matches(monkeypatch):
    from sphinxcontrib import katex

    monkeypatch.setattr(math_at_build, "_npm_katex_version", lambda: katex.katex_version)
    app = _App()
    math_at_build._check_katex(app)
    assert app.config.katex_css_path == "katex/katex.min.css"


@pytest.mark.parametrize("found", [None, "0.15.0"])
def test_a_missing_or_other_katex_stops_the_build_with_the_fix(monkeypatch, found):
    monkeypatch.setattr(math_at_build, "_npm_katex_version", lambda: found)
    with pytest.raises(ExtensionError, match="npm ci"):
        math_at_build._check_katex(_App())


def test_a_formula_katex_cannot_typeset_fails_the_build_with_katex_message():
    from sphinxcontrib import katex

    math_at_build.setup(_Sphinx())
    with pytest.raises(katex.KaTeXError, match=r"Undefined control sequence: \\notacommand"):
        katex.render_latex(r"\frac{1}{\notacommand}")
    assert 'class="katex"' in katex.render_latex(r"\frac{\partial L}{\partial w}")


class _Sphinx:
    def setup_extension(self, name):
        assert name == "sphinxcontrib.katex"

    def connect(self, event, handler, priority=500):
        pass


_LATE_LISTENER = """
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])  # the socket's file exists from here on
time.sleep(0.5)      # ... but nothing listens yet: a connect now is refused
s.listen(1)
s.settimeout(3)      # a server nobody reached exits by itself
conn, _ = s.accept()
conn.sendall(b"ok")
time.sleep(2)
"""


class _LateServer:
    """A server that creates its socket's file half a second before it listens, as Node can."""

    @classmethod
    def build_command(cls, socket):
        import sys

        return [sys.executable, "-c", _LATE_LISTENER, str(socket)]

    @classmethod
    def timeout_error(cls, timeout):
        return TimeoutError(f"no server after {timeout} s")


def test_the_katex_server_is_connected_to_once_it_listens_not_when_its_socket_appears(tmp_path):
    import importlib.util

    from sphinxcontrib import katex

    # the package's own start (a fresh copy of its module: setup() replaces it in the loaded one)
    spec = importlib.util.spec_from_file_location("katex_as_shipped", katex.__file__)
    shipped = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shipped)
    with pytest.raises(ConnectionRefusedError):
        shipped.KaTeXServer.start_server_process.__func__(_LateServer, tmp_path, 5)
    (tmp_path / "katex.sock").unlink(missing_ok=True)
    process, sock = math_at_build._start_server_process(_LateServer, tmp_path, 5)
    try:
        assert sock.recv(2) == b"ok" and sock.gettimeout() is None
    finally:
        sock.close()
        process.kill()
