"""The security headers of every answer, and the Content-Security-Policy of the admin pages (pure).

Every answer forbids framing, MIME sniffing and referrers, and loads nothing (``default-src
'none'``). The admin pages load their stylesheet from the service itself; their only inline styles
are the widths of progress bars and the styles inside their charts' SVG, allowed one by one by the
hash of each attribute or style element the page holds (``'unsafe-hashes'``), so no other inline
style and no script can run.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

BASE_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": BASE_POLICY,
}


def page_policy(inline_styles: Iterable[str]) -> str:
    """The policy of an admin page whose style attributes and elements are exactly ``inline_styles``."""
    hashes = sorted({f"'sha256-{_digest(style)}'" for style in inline_styles})
    styles = " ".join(["'self'", *(["'unsafe-hashes'", *hashes] if hashes else [])])
    return (
        f"default-src 'none'; style-src {styles}; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
