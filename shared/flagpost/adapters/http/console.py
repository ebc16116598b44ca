"""GET /console: the reviewer console, one self-contained page under a strict Content-Security-Policy."""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from flagpost.lazy import lazy

router = Router()  # type: ignore[no-untyped-call]


def _hashes(html: str, tag: str) -> str:
    bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in bodies)


@lazy
def page() -> tuple[str, dict[str, str]]:
    """The page and its security headers; inline script and style are allowed by hash, nothing else."""
    html = (files("flagpost.adapters.http.static") / "console.html").read_text(encoding="utf-8")
    # Everything comes from this origin; the page never loads a reported host (no previews, images,
    # frames or fonts from anywhere else), and links open only when the reviewer clicks them.
    csp = "; ".join(
        [
            "default-src 'self'",
            f"script-src {_hashes(html, 'script')}",
            f"style-src {_hashes(html, 'style')}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "frame-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    headers = {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    return html, headers


@router.get(
    "/console",
    summary="The reviewer console (HTML); it calls the reviewer routes with the key you enter",
    tags=["reviewer"],
    responses={200: {"description": "The console page", "content": {"text/html": {}}}},
)
def console() -> Response[str]:
    html, headers = page()
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=html, headers=headers)
