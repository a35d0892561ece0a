"""The email connector: IMAP pull, SMTP send, Maildir/mbox import (Amazon and Shopify mail too)."""
