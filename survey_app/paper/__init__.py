"""Paper ballots: printed sheets, blind double entry, the third check, import and reconciliation."""
