"""Rendering the report context to one offline HTML file or to Markdown.

Charts travel as Vega-Lite specs, embedded with `|tojson` inside `<script type="application/json">` (log text
can never close the script) and drawn by one inlined vega-embed bundle; `--static` swaps them for
server-rendered SVG and no JavaScript at all.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from functools import cache
from pathlib import Path

import vl_convert
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from postmortem.errors import InputError
from postmortem.export import write_bytes

# C0 control characters are not allowed in XML: vl-convert aborts the whole process (a Rust panic) on one in
# a chart label. For static rendering each becomes its visible Unicode "control picture" (ESC -> U+241B).
_CONTROL = {c: 0x2400 + c for c in range(0x20)} | {0xFFFE: 0xFFFD, 0xFFFF: 0xFFFD}


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("postmortem"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["inline_code"] = inline_code
    return env


def inline_code(text: str) -> Markup:
    """Our own glossary prose in HTML: escaped, then `backticks` become <code>."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@cache
def vega_bundle() -> str:
    """vega, vega-lite and vega-embed in one script (from vl-convert: no network, no CDN). Building it takes
    vl-convert about a second, so it is kept in the user's cache folder, keyed by vl-convert's version."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "postmortem"
    cached = folder / f"vega-bundle-{vl_convert.__version__}.js"
    try:
        return cached.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(bundle, encoding="utf-8")
        partial.replace(cached)  # atomic: a concurrent report never reads half a bundle
    except OSError:
        pass  # no writable cache: build it each time
    return bundle


def render_html(context: dict, *, static: bool = False) -> str:
    """One self-contained page. Scripts are allowed only by hash in the page's CSP, so markup that slipped
    through escaping still could not run; no network access is allowed at all."""
    svgs = {name: _svg(chart["spec"]) for name, chart in context["charts"].items()} if static else {}
    init = environment().get_template("_init.js").render()
    bundle = "" if static else vega_bundle()
    hashes = [] if static else [_csp_hash(bundle), _csp_hash(init)]
    return (
        environment()
        .get_template("report.html")
        .render(
            **context,
            static=static,
            svgs=svgs,
            bundle=bundle,
            init_script=init,
            script_hashes=hashes,
        )
    )


def render_markdown(context: dict, chart_dir: Path | None, link_prefix: str = "") -> str:
    """Markdown for wikis; each chart becomes an SVG file in `chart_dir`, linked relative to the page. With
    no `chart_dir` (Markdown to standard output) no file is written and the page says where charts went."""
    images = {}
    if chart_dir is not None:
        try:
            chart_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"cannot create {chart_dir}: {err.strerror or err}") from None
        for name, chart in context["charts"].items():
            write_bytes(_svg(chart["spec"]).encode("utf-8"), chart_dir / f"{name}.svg")
            images[name] = f"{link_prefix}{name}.svg"
    return (
        environment()
        .get_template("report.md")
        .render(**context, images=images, charts_written=chart_dir is not None, md=md_escape)
    )


def md_escape(value) -> Markup:
    """Log text in Markdown: no HTML, no links, no table breaks. Marked safe so the (HTML) autoescape of
    the environment does not escape it a second time."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("\n", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(re.sub(r"([`*_{}\[\]()#+!|~])", r"\\\1", text))


def _svg(spec: dict) -> str:
    return vl_convert.vegalite_to_svg(xml_safe(spec))


def xml_safe(value):
    """The spec with every string free of characters XML forbids (see `_CONTROL`), recursively."""
    if isinstance(value, str):
        return value.translate(_CONTROL)
    if isinstance(value, dict):
        return {xml_safe(k): xml_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [xml_safe(v) for v in value]
    return value


def _csp_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
