"""A public rating (评诺) campaign for the tests: two leaders with commitments of their own.

Leader A (`pr-a`) has two published commitments, leader B (`pr-b`) one, and B a draft that is
never asked. `make_rating_campaign(app)` returns (campaign id, {name: commitment id}).
"""
from datetime import date

import questionnaires

from survey_app.extensions import db
from tests.web.helpers import PASSPHRASE


def rating_questionnaire() -> questionnaires.Questionnaire:
    """The built-in public-rating questionnaire: usual per-target items and each leader's commitments."""
    return questionnaires.template("public_rating")


COMMITMENTS = (  # name, leader, state, zh, en
    ("a1", "pr-a", "published", "新建幼儿园5所", "Build five nurseries"),
    ("a2", "pr-a", "published", "改造老旧小区20个", "Renovate twenty old estates"),
    ("b1", "pr-b", "published", "治理黑臭水体3处", "Clean up three black, smelly waterways"),
    ("b-draft", "pr-b", "draft", "草稿承诺", "A draft promise"),
)


def make_rating_campaign(app, code="pr", status="open", groups=(("public", 1.0, "public"), ("staff", 1.0, "code")),
                         min_group_size=1):
    from survey_app.admin import operations
    from survey_app.commitments import operations as commitments
    from survey_app.designer.operations import save_questionnaire
    from survey_app.models import Target

    with app.app_context():
        version = save_questionnaire(rating_questionnaire(), publish=True)
        campaign = operations.create_campaign(code=code, kind="public_rating", title_zh="公开承诺评诺",
                                              title_en="Public rating of commitments", version=version,
                                              min_group_size=min_group_size)
        for gcode, weight, access in groups:
            operations.add_group(campaign, code=gcode, name_zh=gcode, name_en=gcode.title(), weight=weight,
                                 access=access)
        leaders = {}
        for tcode, zh, en in (("pr-a", "张副市长", "Vice Mayor Zhang"), ("pr-b", "李副市长", "Vice Mayor Li")):
            leaders[tcode] = Target(code=tcode, kind="leader", name_zh=zh, name_en=en)
            db.session.add(leaders[tcode])
        db.session.flush()
        operations.set_targets(campaign, list(leaders.values()))
        ids = {}
        for name, leader, state, zh, en in COMMITMENTS:
            made = commitments.create_commitment(
                leaders[leader], {"text_zh": zh, "text_en": en, "measure_zh": "", "deadline": date(2026, 12, 31),
                                  "announced_on": date(2026, 1, 15), "announced_where": "《日报》",
                                  "category": "livelihood"}, "staff", state=state)
            ids[name] = made.id
        if status != "draft":
            operations.open_campaign(campaign, PASSPHRASE)
        if status in ("closed", "published"):
            operations.close_campaign(campaign)
        return campaign.id, ids
