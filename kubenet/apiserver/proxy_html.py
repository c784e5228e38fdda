"""Links inside an HTML page answered through the proxy subresource, rewritten so a browser stays under the proxy
(apimachinery util/proxy transport.go rewriteResponse, rewriteHTML): in the attributes that hold URLs, an absolute
path (or a URL to the backend itself) gains the proxy prefix; relative links and other hosts are left alone.

The upstream re-renders the page from its tokenizer; this rewrites the attribute values in place and leaves every
other byte as the backend sent it. gzip and deflate bodies are unpacked and packed again; another encoding is
passed on untouched, as upstream does.
"""
from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

# atomsToAttrs: the attributes of each element that hold a URL.
URL_ATTRIBUTES = {
    "a": {"href"}, "applet": {"codebase"}, "area": {"href"}, "audio": {"src"}, "base": {"href"},
    "blockquote": {"cite"}, "body": {"background"}, "button": {"formaction"}, "command": {"icon"},
    "del": {"cite"}, "embed": {"src"}, "form": {"action"}, "frame": {"longdesc", "src"}, "head": {"profile"},
    "html": {"manifest"}, "iframe": {"longdesc", "src"}, "img": {"longdesc", "src", "usemap"},
    "input": {"src", "usemap", "formaction"}, "ins": {"cite"}, "link": {"href"}, "object": {"classid", "codebase",
                                                                                         "data", "usemap"},
    "q": {"cite"}, "script": {"src"}, "source": {"src"}, "video": {"poster", "src"},
}
_TAG = re.compile(rb"<([A-Za-z][A-Za-z0-9]*)(\s[^<>]*)?>")
_ATTR = re.compile(rb"""(\s)([A-Za-z_:][-A-Za-z0-9_:.]*)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")


def rewrite_url(url: str, backend: str, api_host: str, prefix: str) -> str:
    """Transport.rewriteURL: a URL to the backend itself, or host-relative, is put under the proxy prefix."""
    parts = urlsplit(url)
    if (parts.netloc and parts.netloc not in (backend, api_host)) or not parts.path.startswith("/"):
        return url
    if parts.path.startswith(prefix):
        return url
    return urlunsplit(("", "", prefix + parts.path, parts.query, parts.fragment))


def rewrite_html(body: bytes, rewrite: Callable[[str], str]) -> bytes:
    def tag(match: re.Match) -> bytes:
        names = URL_ATTRIBUTES.get(match.group(1).decode().lower())
        if not names or not match.group(2):
            return match.group(0)

        def attribute(m: re.Match) -> bytes:
            if m.group(2).decode().lower() not in names:
                return m.group(0)
            raw = m.group(4)
            quote = raw[:1] if raw[:1] in (b'"', b"'") else b""
            value = raw[1:-1] if quote else raw
            new = rewrite(value.decode(errors="surrogateescape")).encode(errors="surrogateescape")
            return m.group(1) + m.group(2) + m.group(3) + quote + new + quote
        return b"<" + match.group(1) + _ATTR.sub(attribute, match.group(2)) + b">"
    return _TAG.sub(tag, body)


def rewrite_body(body: bytes, encoding: str, rewrite: Callable[[str], str]) -> bytes | None:
    """The page with its links rewritten, in its Content-Encoding; None for an encoding left as it is."""
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return gzip.compress(rewrite_html(gzip.decompress(body), rewrite))
    if encoding == "deflate":
        return zlib.compress(rewrite_html(zlib.decompress(body), rewrite))
    if encoding in ("", "identity"):
        return rewrite_html(body, rewrite)
    return None
