"""Service-level agreements: pure clock rules, their settings, and the glue to the store."""
