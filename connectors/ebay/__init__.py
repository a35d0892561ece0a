"""The eBay connector: buyer conversations (Commerce Message API), orders (Sell Fulfillment API)."""

from .connector import EbayConnector

__all__ = ["EbayConnector"]
