"""Keep the published site self-contained: no page refers a browser to another host.

Jupyter Book 1 always registers sphinx-thebe, which adds to every page an inline script
declaring ``THEBE_JS_URL`` (a CDN address) and a loader that fetches it; the declaration is
added twice, so the console also reports "Identifier 'THEBE_JS_URL' has already been declared".
Thebe (live code on the page) needs a remote kernel, which an offline site cannot have, so both
scripts are dropped from every page. Any other script pointing off-site is dropped too.
"""

from __future__ import annotations


def _is_offsite_or_thebe(script) -> bool:
    filename = str(getattr(script, "filename", "") or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body or filename.startswith(("http:", "https:", "//"))


def _drop_remote_scripts(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_offsite_or_thebe(s)]


def setup(app):
    app.connect("html-page-context", _drop_remote_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
