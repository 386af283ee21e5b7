"""What happens after counting: the door to the scoring engine (`adapter`, whose names are
re-exported here for the callers that import them from `results`), a decision meeting's
tally (`decisions`) and the counting officers' signatures of the results (`signatures`)."""
from . import adapter as _adapter

globals().update({k: v for k, v in vars(_adapter).items() if not k.startswith("__")})
