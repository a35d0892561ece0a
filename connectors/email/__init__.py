"""The email connector: IMAP pull, SMTP send, Maildir/mbox import (Amazon and Shopify mail too)."""

from .connector import EmailConnector

__all__ = ["EmailConnector"]
