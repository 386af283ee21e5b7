"""The follow-up of alerts (预防 · 警示): cases, the measures taken and the leader's answers. Never public."""
