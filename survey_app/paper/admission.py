"""When paper may still go into a campaign's box, and the commission's rule for blank sheets.

When paper can be entered
-------------------------
While the campaign is open, and after it closes until its box is counted (`counted_at`
set). The campaign's time window is not checked: sheets filled at a meeting during the
window are often keyed after it. Once counted, entry and import are refused: a ballot
added after the officers opened the box would change results they already saw, and a
second count of a handful of late envelopes would let anyone compare two result sets.
"""
from flask_babel import lazy_gettext as _l

from .. import audit
from ..ballots import counting
from ..extensions import db
from ..models import Campaign
from ..models.paper import PaperRules


class PaperRefused(Exception):
    """An action the sheet's or campaign's state does not allow; str() is a translated reason."""

    def __init__(self, message, status: int = 409):
        super().__init__(str(message))
        self.message, self.status = message, status


def accepts_paper(campaign: Campaign) -> bool:
    """Whether paper may still go into the box (see the module docstring)."""
    return campaign.public_key is not None and (
        campaign.status == "open" or (campaign.status == "closed" and campaign.counted_at is None))


def require_accepting(campaign: Campaign) -> None:
    """PaperRefused unless a sheet may go into the box now (its count is not running either)."""
    if not accepts_paper(campaign):
        raise PaperRefused(_l("This campaign no longer takes paper ballots: it is not open, or its "
                              "ballot box has been counted."))
    if counting.running(campaign.id):
        raise PaperRefused(_l("The ballot box of this campaign is being counted: no paper sheet can go "
                              "into it now."))


def rules(campaign: Campaign) -> PaperRules:
    found = db.session.get(PaperRules, campaign.id)
    return found if found is not None else PaperRules(campaign_id=campaign.id, max_blank_share=0.5)


def set_rules(campaign: Campaign, max_blank_share: float) -> None:
    if campaign.status == "published" or campaign.counted_at is not None:
        raise PaperRefused(_l("The rules cannot change once the ballot box has been counted."))
    found = db.session.get(PaperRules, campaign.id)
    if found is None:
        found = PaperRules(campaign_id=campaign.id)
        db.session.add(found)
    before = found.max_blank_share
    found.max_blank_share = max_blank_share
    audit.record("paper.rules", f"campaign:{campaign.id}", campaign=campaign.code, before=before,
                 max_blank_share=max_blank_share)
    db.session.commit()
