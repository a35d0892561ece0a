"""The stock rules: one TOML file per rule, read by deskterm.automation as package data.

They reproduce the support playbooks' first workflows; they only run when copied into the
user's rules folder (`deskterm rules list --stock` shows them).
"""
