"""The stock macro pack: one TOML file per macro, read by deskterm.macros as package data.

Installed as ``deskterm.stock_macros`` so that the name ``deskterm.macros`` stays the macro engine.
"""
