"""Offline triage of customer messages: language, intent and mood, from shipped models only.

`reader.classify(subject, text)` reads the customer's own words (quotes and signatures cut)
and gives a `Triage`. Language comes from py3langid's model (`language`), intent from weighted cue phrases
in seven languages (`intent`), mood from VADER for English and word lists for six more
(`mood`). Nothing is downloaded; the models load on the first message (~0.5 s).

This package imports nothing itself: the search language reads `labels` without loading the
classifiers.
"""
