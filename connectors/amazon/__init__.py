"""The Amazon Selling Partner API connector: order context, buyer messages, review requests."""

from .connector import AmazonConnector

__all__ = ["AmazonConnector"]
