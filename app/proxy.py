"""The client's address behind a reverse proxy: X-Forwarded-For is believed only from TRUSTED_PROXIES."""
import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix


def trusted_networks(setting: str, name: str = "TRUSTED_PROXIES") -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`127.0.0.1, 10.0.0.0/8, ::1` -> networks; a typo stops the app with the setting's name."""
    networks = []
    for item in filter(None, (part.strip() for part in setting.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{name}: {item!r} is not an IP address or network") from None
    return networks


def address_in(address: str | None, networks) -> bool:
    """Is this address (REMOTE_ADDR) in one of the networks? Not an address at all: no."""
    try:
        peer = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(peer in network for network in networks)


class TrustedProxyFix:
    """werkzeug's ProxyFix (one proxy hop) for requests that come from a trusted proxy. Anyone else's
    X-Forwarded-For is ignored: a client cannot choose the address its failed logins are counted on."""

    def __init__(self, wsgi_app, networks):
        self.wsgi_app = wsgi_app
        self.behind_proxy = ProxyFix(wsgi_app, x_for=1)
        self.networks = networks

    def __call__(self, environ, start_response):
        trusted = address_in(environ.get("REMOTE_ADDR"), self.networks)
        return (self.behind_proxy if trusted else self.wsgi_app)(environ, start_response)
