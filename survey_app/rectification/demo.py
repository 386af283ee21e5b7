"""The demo's rectification ledgers (called by survey_app.demo): last year's, rectified and closed
(one item after a check that did not accept it), and this year's, under way — one item overdue, one
plan waiting for approval, one progress entry waiting for review — public for this year's campaign, and
the draft of its review (回头看)."""
from datetime import date, timedelta

from ..models import Campaign, Target
from . import operations, review

#: (problem zh, problem en, measures zh, measures en, responsible, days from the close to the deadline)
LAST_YEAR = [
    ("窗口排队等候时间长，高峰时段超过一小时", "Long queues at the counters, over an hour at peak times",
     "增设两个综合窗口，推行网上预约和错峰办理", "Two more counters; online appointments and staggered hours",
     "分管副局长", 120),
    ("收费依据和标准公开不够", "Fees and their legal basis are not published clearly enough",
     "在大厅和网站公示全部收费项目、标准和依据", "Publish every fee, its rate and its legal basis in the hall and online",
     "办公室主任", 90),
]
THIS_YEAR = [
    ("群众反映电话咨询难以接通", "The public say the enquiry line is hard to get through to",
     "开通12345分中心专线，增加两名咨询人员", "A line of the 12345 hotline; two more staff answering",
     "分管副局长", 20),
    ("办事流程复杂，材料要求多", "Procedures are complex and ask for many documents",
     "梳理事项清单，取消重复证明材料", "Review the list of services; drop duplicate certificates",
     "政策法规科科长", 150),
]


def _make(campaign: Campaign, target: Target, key: str, words: tuple, published: date, actor: str):
    problem_zh, problem_en, measures_zh, measures_en, responsible, days = words
    return operations.create_item(campaign, target, key, problem_zh, problem_en, actor, plan={
        "measures_zh": measures_zh, "measures_en": measures_en, "responsible": responsible,
        "deadline": published + timedelta(days=days)})


def _keys(campaign: Campaign, target: Target) -> list[str]:
    """The problem's sources the demo uses: the lowest dimension and item, then a published comment."""
    found = operations.candidates(campaign, target, "zh_CN")
    ordered = [c.key for c in found if c.source == "dimension"][:1] + [c.key for c in found if c.source == "item"][:1]
    ordered += [c.key for c in found if c.source == "comment"][:1]
    return (ordered + ["finding", "finding"])[:2]


def _base(campaign: Campaign) -> date:
    """The day deadlines count from: the close (the demo publishes every campaign on the day it loads)."""
    return (campaign.closes_at or campaign.published_at).date()


def load(last_year: Campaign, this_year: Campaign, units: list[Target], today: date, actor: str = "staff") -> int:
    """Ledgers of the first two `units` for both campaigns; returns how many items."""
    made = 0
    before = _base(last_year)
    for unit in units[:2]:
        for n, (key, words) in enumerate(zip(_keys(last_year, unit), LAST_YEAR)):
            item = _make(last_year, unit, key, words, before, actor)
            operations.approve_plan(item, actor)
            entry = operations.add_progress(item, on=before + timedelta(days=words[5] - 10), actor=actor, percent=100,
                                            done="措施全部落实，群众满意度回访良好。", evidence="回访记录和现场照片")
            operations.review_progress(entry, "approved", "", actor)
            operations.ask_check(item, actor)
            if n == 0:
                operations.check(item, "not_accepted", "高峰时段仍有排队，请补充错峰措施。", actor)
                operations.ask_check(item, actor)
            operations.check(item, "closed", "", actor)
            made += 1
    now = _base(this_year)
    for index, unit in enumerate(units[:2]):
        for n, (key, words) in enumerate(zip(_keys(this_year, unit), THIS_YEAR)):
            item = _make(this_year, unit, key, words, now, actor)
            made += 1
            if index == 1 and n == 1:
                operations.submit_plan(item, actor)  # waits for approval
                continue
            operations.approve_plan(item, actor)
            entry = operations.add_progress(item, on=min(today, now + timedelta(days=10)), actor=actor, percent=40,
                                            done="专线已开通，人员正在培训。" if n == 0 else "已完成事项清单梳理。")
            if index == 0:
                operations.review_progress(entry, "approved", "", actor)
    operations.set_public(this_year, True, actor)
    # the review (回头看) of this year's rectification, a draft for staff to open
    review.create_review(this_year, f"{this_year.code}-review", actor)
    return made
