"""Point the ``<script src>`` and ``<link href>`` tags of a page at local copies.

asv 0.6's pages load their third-party files from CDNs with Subresource Integrity
(``integrity="sha512-..."`` of the CDN's file). The local copies are the npm packages' files,
which for some assets differ from the CDN's (flot's npm package is unminified), so the tag's
``integrity`` is rewritten to the local file's sha256 as well: a browser blocks a file whose
digest differs from the attribute.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

_TAG = re.compile(r"<(?:script|link)\b[^>]*>", re.IGNORECASE)
_URL_ATTR = re.compile(r"""(?<![\w-])(src|href)\s*=\s*(["'])(.*?)\2""",
                       re.IGNORECASE | re.DOTALL)
_INTEGRITY = re.compile(r"""\sintegrity\s*=\s*(["']).*?\1""", re.IGNORECASE | re.DOTALL)
_EXTERNAL = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


def sri_sha256(data: bytes) -> str:
    """The Subresource Integrity value of ``data``: ``sha256-<base64 digest>``."""
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


@dataclass(frozen=True)
class LocalCopy:
    """Where a CDN file is served from instead (a URL relative to the page) and its SRI."""

    url: str
    integrity: str


@dataclass
class RewriteResult:
    """The rewritten page and the external references found in it."""

    text: str
    replaced: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def external_references(text: str) -> list[str]:
    """Every external URL a ``<script>`` or ``<link>`` tag of ``text`` loads, in page order."""
    urls = []
    for tag in _TAG.finditer(text):
        match = _URL_ATTR.search(tag.group(0))
        if match and _EXTERNAL.match(match.group(3).strip()):
            urls.append(match.group(3).strip())
    return urls


def rewrite_page(text: str, copies: dict[str, LocalCopy]) -> RewriteResult:
    """Replace each tag's CDN URL found in ``copies`` by the local URL and its integrity.

    Tags whose URL is not in ``copies`` are left exactly as they are; their external URLs are
    listed in ``kept``.
    """
    result = RewriteResult(text="")

    def one_tag(tag: re.Match) -> str:
        source = tag.group(0)
        match = _URL_ATTR.search(source)
        if not match:
            return source
        url = match.group(3).strip()
        copy = copies.get(url)
        if copy is None:
            if _EXTERNAL.match(url):
                result.kept.append(url)
            return source
        quote = match.group(2)
        new = (source[:match.start()] + f"{match.group(1)}={quote}{copy.url}{quote}"
               + source[match.end():])
        if _INTEGRITY.search(new):
            new = _INTEGRITY.sub(f' integrity="{copy.integrity}"', new, count=1)
        result.replaced.append(url)
        return new

    result.text = _TAG.sub(one_tag, text)
    return result
