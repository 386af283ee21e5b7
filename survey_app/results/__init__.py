"""What happens after counting: the only door to the scoring engine (`adapter`), the decision
tally (`decisions`), the alerts (`alerts`), the counting officers' signatures of the results
(`signatures`), publication (`publication.freeze`) and the open results bundle (`bundle`). It
reads the ballot box; the box never reads it."""
