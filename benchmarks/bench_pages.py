"""Page speed of the built site: Lighthouse (mobile preset) on chosen pages, served with gzip.

    python benchmarks/bench_pages.py                          # _build/html, the default pages
    python benchmarks/bench_pages.py --site DIR --pages book/intro.html,notebooks/03_chain_rule.html

Lighthouse is optional, like torch: ``npm install lighthouse`` (any folder; pass
``--lighthouse path/to/node_modules/.bin/lighthouse``) and a Chromium (``CHROME_PATH``, default
/usr/bin/chromium). The site is served from this process with gzip, as a static host serves
it. Writes benchmarks/results/pages.json.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import write_results

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["book/intro.html"] + [f"notebooks/{p.stem}.html" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync")
_COMPRESSIBLE = (".html", ".js", ".css", ".json", ".svg", ".txt", ".map")


class GzipHandler(SimpleHTTPRequestHandler):
    """Static files, gzip-compressed when the browser accepts it (text types only)."""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path.split("?", 1)[0]))
        if path.is_dir():
            path = path / "index.html"
        if not (path.suffix in _COMPRESSIBLE and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, *_):
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


def serve(site: Path) -> ThreadingHTTPServer:
    """Serve ``site`` on a free local port in a background thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def lighthouse(binary: str, url: str) -> dict:
    """Performance, LCP, TBT, bytes and accessibility of one page (mobile preset)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp, "report.json")
        subprocess.run([binary, url, "--quiet", "--output=json", f"--output-path={report}",
                        "--only-categories=performance,accessibility", f"--chrome-flags={FLAGS}"],
                       check=True, env={"CHROME_PATH": "/usr/bin/chromium", **os.environ},
                       capture_output=True, timeout=300)
        data = json.loads(report.read_text())
    audits = data["audits"]
    return {"performance": data["categories"]["performance"]["score"],
            "accessibility": data["categories"]["accessibility"]["score"],
            "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
            "tbt_ms": audits["total-blocking-time"]["numericValue"],
            "kib": audits["total-byte-weight"]["numericValue"] / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--lighthouse", default=shutil.which("lighthouse") or "lighthouse")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page; the median is kept")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    server = serve(Path(args.site))
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results = []
    try:
        for page in args.pages.split(","):
            runs = [lighthouse(args.lighthouse, base + page) for _ in range(args.runs)]
            # the run with the median performance score, so the row's numbers belong together
            row = {"page": page, **sorted(runs, key=lambda r: r["performance"])[len(runs) // 2],
                   "runs": len(runs), "performance_min": min(r["performance"] for r in runs),
                   "performance_max": max(r["performance"] for r in runs)}
            results.append(row)
            print(f"{page:45s} perf {row['performance']:.2f} ({row['performance_min']:.2f}-"
                  f"{row['performance_max']:.2f})  LCP {row['lcp_s']:.1f} s  "
                  f"TBT {row['tbt_ms']:.0f} ms  {row['kib']:,.0f} KiB  a11y {row['accessibility']:.2f}",
                  flush=True)
    finally:
        server.shutdown()
    for r in results:  # the plain Jupyter Book 1 page's scores are the bar (issue 18)
        r["meets_goal"] = (r["performance"] >= 0.9 and r["tbt_ms"] <= 200 and r["lcp_s"] <= 2.5
                           and r["accessibility"] == 1.0)
    if not args.no_write:
        path = write_results("pages", description="Lighthouse mobile preset, site served with gzip",
                             method={"lighthouse": "12.8", "preset": "mobile (default)",
                                     "goal": "performance >= 0.9, TBT <= 200 ms, LCP <= 2.5 s, "
                                             "accessibility 1.0"},
                             results=results, goals=[])
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
