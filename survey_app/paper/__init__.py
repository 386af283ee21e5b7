"""Paper ballots: printed sheets, blind double entry, the third check, import and reconciliation.

`admission` says when paper may go into a campaign's box; `sheets` numbers, lays out and
prints the sheets; `letters` reads what a clerk keyed for a sheet; `entry` holds the two
clerks' blind entries and the third check; `imports` seals ballot files; `reconcile` gives
the figures a counting supervisor signs.
"""
