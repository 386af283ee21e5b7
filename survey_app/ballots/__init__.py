"""The ballot box: access codes, sealed envelopes, submission and counting."""
