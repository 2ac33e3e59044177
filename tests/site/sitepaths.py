"""Where the built site is, and which of its pages the browser tests visit."""

from __future__ import annotations

from pathlib import Path

SITE = Path(__file__).resolve().parents[2] / "_build" / "html"


def site_pages() -> list[str]:
    """Every page of the book, as paths relative to the site root (index is only a redirect)."""
    skip = {"genindex.html", "search.html", "index.html"}
    return sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
                  if p.name not in skip and not p.relative_to(SITE).parts[0].startswith(("_", ".")))
