"""Page speed of the built site: Lighthouse (mobile preset) on chosen pages, served with gzip.

    python benchmarks/bench_pages.py                          # _build/html, the default pages
    python benchmarks/bench_pages.py --site DIR --pages book/intro.html,notebooks/03_chain_rule.html

The bar is a plain Jupyter Book 1 (``jupyter-book create``, built here with the same versions,
into _build/plain-jupyter-book), measured in the same rounds: each round measures every page and
then the plain book's pages, so background load falls on both alike. A page meets the goal when
its median scores are at least the issue's bar (performance >= 0.9, TBT <= 200 ms, LCP <= 2.5 s)
or the plain chapter page's own medians where this machine is too slow for the plain page to
reach that bar; accessibility must be 1.0.

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
import statistics
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import RESULTS_DIR, write_results

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["book/intro.html"] + [f"notebooks/{p.stem}.html" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync")
_COMPRESSIBLE = (".html", ".js", ".css", ".json", ".svg", ".txt", ".map")
PLAIN_BOOK = ROOT / "_build" / "plain-jupyter-book"
PLAIN_PAGES = ["intro.html", "notebooks.html"]
PLAIN_BAR_PAGE = "notebooks.html"  # a notebook page, like our chapters
BAR = {"performance": 0.9, "tbt_ms": 200.0, "lcp_s": 2.5}  # issue 18: a plain book on a fast machine


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


def plain_book() -> Path:
    """The built HTML of a plain ``jupyter-book create`` book, built once into _build/."""
    html = PLAIN_BOOK / "_build" / "html"
    if not (html / PLAIN_BAR_PAGE).exists():
        jb = str(Path(sys.executable).with_name("jupyter-book"))
        shutil.rmtree(PLAIN_BOOK, ignore_errors=True)
        subprocess.run([jb, "create", str(PLAIN_BOOK)], check=True, capture_output=True)
        subprocess.run([jb, "build", str(PLAIN_BOOK)], check=True, capture_output=True)
    return html


def median_row(page: str, runs: list[dict]) -> dict:
    """The run with the median performance (its numbers belong together), plus per-metric medians."""
    row = {"page": page, **sorted(runs, key=lambda r: r["performance"])[len(runs) // 2], "runs": len(runs)}
    for key in ("performance", "lcp_s", "tbt_ms"):
        row[f"{key}_median"] = statistics.median(r[key] for r in runs)
    row["performance_min"] = min(r["performance"] for r in runs)
    row["performance_max"] = max(r["performance"] for r in runs)
    return row


def bar_from(plain: dict | None) -> dict:
    """The goal for every page: the issue's bar, or the plain page's medians where those are worse."""
    if plain is None:
        return dict(BAR)
    return {"performance": min(BAR["performance"], plain["performance_median"]),
            "tbt_ms": max(BAR["tbt_ms"], plain["tbt_ms_median"]),
            "lcp_s": max(BAR["lcp_s"], plain["lcp_s_median"])}


def meets(row: dict, bar: dict) -> bool:
    return (row["performance_median"] >= bar["performance"] and row["tbt_ms_median"] <= bar["tbt_ms"]
            and row["lcp_s_median"] <= bar["lcp_s"] and row["accessibility"] == 1.0)


def _history() -> list[dict]:
    path = RESULTS_DIR / "pages.json"
    return json.loads(path.read_text())["method"].get("history", []) if path.exists() else []


def record_history(what: str, rows: list[dict], loads: list[float]) -> None:
    """Add a run of an earlier state of the site to pages.json's history (latest results kept)."""
    path = RESULTS_DIR / "pages.json"
    data = json.loads(path.read_text())
    data["method"]["history"] = [h for h in _history() if h["what"] != what] + [{
        "what": what, "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [min(loads), max(loads)],
        "results": [{k: r[k] for k in ("site", "page", "performance_median", "lcp_s_median", "tbt_ms_median", "kib")}
                    for r in rows]}]
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"kept as history in {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--lighthouse", default=shutil.which("lighthouse") or "lighthouse")
    parser.add_argument("--runs", type=int, default=3, help="rounds; each page's medians are kept")
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain Jupyter Book")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--record-as", metavar="WHAT",
                        help="keep this run in pages.json as an earlier state of the site ('before ...')")
    args = parser.parse_args()
    sites = {"ours": serve(Path(args.site))}
    pages = [("ours", p) for p in args.pages.split(",")]
    if not args.no_baseline:
        sites["plain"] = serve(plain_book())
        pages += [("plain", p) for p in PLAIN_PAGES]
    runs: dict[tuple, list[dict]] = {key: [] for key in pages}
    loads = []
    try:
        for _ in range(args.runs):
            for site, page in pages:
                base = f"http://127.0.0.1:{sites[site].server_address[1]}/"
                loads.append(os.getloadavg()[0])
                runs[(site, page)].append(lighthouse(args.lighthouse, base + page))
    finally:
        for server in sites.values():
            server.shutdown()
    rows = {key: median_row(key[1], r) for key, r in runs.items()}
    bar = bar_from(rows.get(("plain", PLAIN_BAR_PAGE)))
    for (site, _), row in rows.items():
        row["site"] = site
    results = [rows[key] for key in pages if key[0] == "ours"]
    plain = [rows[key] for key in pages if key[0] == "plain"]
    for r in results:
        r["meets_goal"] = meets(r, bar)
    for label, group in (("", results), ("plain Jupyter Book: ", plain)):
        for r in group:
            print(f"{label}{r['page']:45s} perf {r['performance_median']:.2f} ({r['performance_min']:.2f}-"
                  f"{r['performance_max']:.2f})  LCP {r['lcp_s_median']:.1f} s  TBT {r['tbt_ms_median']:.0f} ms"
                  f"  {r['kib']:,.0f} KiB  a11y {r['accessibility']:.2f}"
                  + (f"  goal {'met' if r['meets_goal'] else 'missed'}" if "meets_goal" in r else ""), flush=True)
    print(f"bar: performance >= {bar['performance']:.2f}, TBT <= {bar['tbt_ms']:.0f} ms, "
          f"LCP <= {bar['lcp_s']:.1f} s; load average {min(loads):.1f}-{max(loads):.1f}")
    if args.record_as:
        record_history(args.record_as, results + plain, loads)
    elif not args.no_write:
        method = {"lighthouse": "12.8", "preset": "mobile (default)", "rounds": args.runs,
                  "load_average": [min(loads), max(loads)],
                  "goal": "performance >= 0.9, TBT <= 200 ms, LCP <= 2.5 s (or the plain Jupyter Book "
                          "chapter page's medians, measured in the same rounds, where the machine is "
                          "too slow for it to reach that), accessibility 1.0",
                  "bar": bar}
        if plain:
            method["baseline"] = {"what": "jupyter-book create, built with the same versions, measured "
                                          "in the same rounds", "results": plain}
        method["history"] = _history()
        path = write_results("pages", description="Lighthouse mobile preset, site served with gzip",
                             method=method, results=results, goals=[])
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
