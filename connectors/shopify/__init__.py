"""Shopify: order context (orders, customers, lifetime figures) and order actions, by Admin GraphQL."""

from .connector import ShopifyConnector

__all__ = ["ShopifyConnector"]
