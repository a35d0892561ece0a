"""Where an Amazon seller account lives: SP-API endpoints by region and the marketplaces of each."""

from __future__ import annotations

from dataclasses import dataclass

ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}


@dataclass(frozen=True, slots=True)
class Marketplace:
    id: str
    region: str
    country: str
    domain: str

    @property
    def seller_central(self) -> str:
        return "https://sellercentral." + self.domain


MARKETPLACES = {
    m.id: m
    for m in (
        Marketplace("ATVPDKIKX0DER", "na", "US", "amazon.com"),
        Marketplace("A2EUQ1WTGCTBG2", "na", "CA", "amazon.ca"),
        Marketplace("A1AM78C64UM0Y8", "na", "MX", "amazon.com.mx"),
        Marketplace("A2Q3Y263D00KWC", "na", "BR", "amazon.com.br"),
        Marketplace("A1F83G8C2ARO7P", "eu", "GB", "amazon.co.uk"),
        Marketplace("A1PA6795UKMFR9", "eu", "DE", "amazon.de"),
        Marketplace("A13V1IB3VIYZZH", "eu", "FR", "amazon.fr"),
        Marketplace("APJ6JRA9NG5V4", "eu", "IT", "amazon.it"),
        Marketplace("A1RKKUPIHCS9HS", "eu", "ES", "amazon.es"),
        Marketplace("A1805IZSGTT6HS", "eu", "NL", "amazon.nl"),
        Marketplace("AMEN7PMS3EDWL", "eu", "BE", "amazon.com.be"),
        Marketplace("A2NODRKZP88ZB9", "eu", "SE", "amazon.se"),
        Marketplace("A1C3SOZRARQ6R3", "eu", "PL", "amazon.pl"),
        Marketplace("A33AVAJ2PDY3EV", "eu", "TR", "amazon.com.tr"),
        Marketplace("AE08WJ6YKNBMC", "eu", "ZA", "amazon.co.za"),
        Marketplace("ARBP9OOSHTCHU", "eu", "EG", "amazon.eg"),
        Marketplace("A17E79C6D8DWNP", "eu", "SA", "amazon.sa"),
        Marketplace("A2VIGQ35RCS4UG", "eu", "AE", "amazon.ae"),
        Marketplace("A21TJRUUN4KGV", "eu", "IN", "amazon.in"),
        Marketplace("A19VAU5U5O7RUS", "fe", "SG", "amazon.sg"),
        Marketplace("A39IBJ37TRP1C6", "fe", "AU", "amazon.com.au"),
        Marketplace("A1VC38T7YXB528", "fe", "JP", "amazon.co.jp"),
    )
}


def check_marketplace(region: str, marketplace: str) -> str | None:
    """Why `marketplace` cannot be used in `region`, or None when it can."""
    if region not in ENDPOINTS:
        return f"region must be one of {', '.join(ENDPOINTS)}, not {region!r}"
    known = MARKETPLACES.get(marketplace)
    if known is None:
        return f"{marketplace!r} is not a marketplace id deskterm knows (e.g. A1F83G8C2ARO7P)"
    if known.region != region:
        return f"marketplace {marketplace} ({known.country}) is served by region {known.region}"
    return None
