"""Publication: the results frozen with the method they were scored by, their hash and the open bundle."""
import hashlib

from scoring import canonical_json

from ..models import Campaign
from . import bundle
from .adapter import method_dict, results


def freeze(campaign: Campaign) -> None:
    """Freeze the counted campaign's results and method, hash them and build the bundle.

    Changes only the campaign's published_* columns; the caller (`admin.operations.publish_campaign`)
    checks the lifecycle, moves the status, writes the audit log and commits.
    """
    frozen = results(campaign)
    campaign.published_results = frozen
    campaign.published_method = method_dict(campaign)
    # The hash of the canonical bytes, which are also the bundle's results.json (scoring.canonical_json).
    campaign.published_sha256 = hashlib.sha256(canonical_json(frozen)).hexdigest()
    campaign.published_bundle = bundle.build(campaign, campaign.published_method, frozen, campaign.published_sha256)
