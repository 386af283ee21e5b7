from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..i18n import current_language
from ..models import Campaign, CampaignTarget


def index():
    """A leader sees the published campaigns that appraised them; staff see every campaign."""
    query = select(Campaign).order_by(Campaign.created_at.desc())
    if current_user.role == "leader":
        query = query.join(CampaignTarget).where(CampaignTarget.target_id == current_user.target_id,
                                                 Campaign.status == "published")
    campaigns = db.session.execute(query).scalars().unique().all()
    return render_template("reports/index.html", campaigns=campaigns, locale=current_language())
