"""The sync engine (pull with cursors, push the outbox), worker pools, and the shared HTTP client."""
