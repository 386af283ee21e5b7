"""Publication: the results the counting officers signed, frozen with the method they were scored by,
their hash and the open bundle."""
from ..ballots.signing import results_sha256
from ..models import Campaign
from . import bundle, decisions
from .adapter import method_dict, results


class NotAsSigned(Exception):
    """The results as they stand are not those the counting officers signed: nothing is frozen."""


def freeze(campaign: Campaign) -> None:
    """Freeze the counted campaign's results and method, hash them and build the bundle.

    The results are those kept and signed at counting (`counted_results`; a decision meeting's
    tally, no method); a campaign counted before signing existed has them computed now.
    Raises NotAsSigned, changing nothing, if they no longer hash to what the officers signed.
    Changes only the campaign's published_* columns; the caller (`admin.operations.publish_campaign`)
    checks the lifecycle, moves the status, writes the audit log and commits.
    """
    frozen = decisions.view(campaign) if campaign.is_decision else results(campaign)
    # The hash of the canonical bytes, which are also the bundle's results.json (scoring.canonical_json).
    sha = results_sha256(frozen)
    if campaign.results_sha256 is not None and sha != campaign.results_sha256:
        raise NotAsSigned()
    campaign.published_results = frozen
    campaign.published_method = None if campaign.is_decision else method_dict(campaign)
    campaign.published_sha256 = sha
    campaign.published_bundle = bundle.build(campaign, campaign.published_method, frozen, sha)
