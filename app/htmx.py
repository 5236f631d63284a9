"""What an htmx request tells about itself (its HX-* headers), and the redirect it understands.

Fragments and full pages share URLs (the security headers add `Vary: HX-Request`).
"""
from flask import request


def is_htmx() -> bool:
    """Sent by htmx (a swap, a poll, an hx-post)."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment(target: str | None = None) -> bool:
    """An htmx swap that wants a fragment (into `target`, when given). A history restore
    (Back after the page left htmx's cache) wants the full page."""
    return (is_htmx() and not request.headers.get("HX-History-Restore-Request")
            and (target is None or request.headers.get("HX-Target") == target))


def trigger_name() -> str:
    """The name of the form field whose change sent the request."""
    return request.headers.get("HX-Trigger-Name", "")


def redirect(url: str, status: int = 204):
    """Make htmx load `url` as a whole page (a plain 302 would be swapped into the target)."""
    return "", status, {"HX-Redirect": url}
