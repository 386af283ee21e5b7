"""The database models, one module per aggregate."""
from .audit import AuditEntry
from .ballot import (Ballot, Comment, CountingOfficer, CountingPanel, CountingRun, Envelope, InboxEnvelope, Receipt,
                     ResultSigner, TurnoutDay)
from .campaign import Campaign, CampaignItem, CampaignTarget, RespondentGroup, Target
from .chart import DrawnChart
from .code import AccessCode
from .commitment import Commitment, ProgressEntry
from .followup import AlertCase, CaseStep
from .paper import PaperBatch, PaperEntry, PaperImport, PaperRules, PaperSheet
from .questionnaire import Questionnaire, QuestionnaireVersion
from .rectification import RectificationItem, RectificationProgress
from .user import User, UserCampaign

__all__ = [
    "AccessCode", "AlertCase", "AuditEntry", "Ballot", "Campaign", "CampaignItem", "CampaignTarget", "CaseStep", "Comment", "Commitment", "CountingOfficer",
    "CountingPanel", "CountingRun", "DrawnChart",
    "Envelope", "InboxEnvelope", "PaperBatch", "PaperEntry", "PaperImport", "PaperRules", "PaperSheet", "ProgressEntry",
    "Questionnaire", "QuestionnaireVersion", "Receipt", "RectificationItem", "RectificationProgress", "RespondentGroup", "ResultSigner", "Target",
    "TurnoutDay", "User", "UserCampaign",
]
