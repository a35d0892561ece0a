"""The `deskterm` command: one module per noun; parse, call a service, print."""
