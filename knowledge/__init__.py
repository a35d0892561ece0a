"""The stock knowledge base: one Markdown file per article or SOP, read by deskterm.kb as package data.

Installed as ``deskterm.stock_knowledge``; the user's own folder overrides an article by file name.
"""
