"""What the desktop hears of: SLA crossings and new mail on your tickets ([tui] desktop asks which).

clock reads the crossings and the new mail in a window, desktop says them (notify-send or the
terminal's OSC 9), watch tells the desktop while `sync --watch` or `team sync --watch` runs. No
Textual here: the workstation's ticker uses clock and desktop too.
"""
