"""KPIs from events: per-ticket facts (facts), figures over a period beside the previous one
(report), the handle time the TUI measures (handling), email surveys (surveys), and the
renderings of a report (html). Every definition is written in docs/kpis.md as well.

Pure functions over what deskterm.store.metrics reads; nothing here reads the clock.
"""
