"""The demo's public commitments: a year of promises of five leaders, with reviewed progress,
some kept, one stalled and one broken (called by survey_app.demo)."""
from datetime import date, timedelta

from ..models import Target
from . import operations

#: per leader: (text_zh, text_en, measure_zh, measure_en, category, months to the deadline, outcome), where the
#: outcome is "kept", "on_track", "stalled", "broken" or "late" (in progress, past its deadline)
PROMISES = [
    [("新建、改扩建公办幼儿园5所，新增学位1500个", "Build or extend five public nurseries, 1,500 new places",
      "新增学位1500个", "1,500 new places", "livelihood", 10, "kept"),
     ("政务服务事项“一网通办”比例达到95%", "95% of public services available online",
      "网办比例95%", "95% online", "governance", 14, "on_track")],
    [("整治城区黑臭水体3处", "Clean up three black, smelly water bodies in the city",
      "3处水体达标", "three water bodies meet the standard", "environment", 9, "kept"),
     ("建成区域污水处理厂一座", "Build a regional sewage works", "日处理能力2万吨",
      "20,000 tonnes a day", "environment", 16, "on_track")],
    [("老旧小区改造40个", "Renovate 40 old residential estates", "改造40个小区", "40 estates",
      "livelihood", 12, "stalled"),
     ("企业开办时间压缩至1个工作日", "Register a new business within one working day",
      "1个工作日", "one working day", "economy", 6, "kept")],
    [("新建农贸市场2个", "Build two farmers' markets", "2个市场投入使用", "two markets open",
      "livelihood", 8, "broken"),
     ("食品安全抽检合格率不低于98%", "At least 98% of food samples pass inspection", "合格率98%",
      "98% pass", "livelihood", 12, "kept")],
    [("新开通公交线路6条", "Open six new bus lines", "6条线路", "six lines", "livelihood", 9, "late"),
     ("农村公路提质改造120公里", "Upgrade 120 km of rural roads", "120公里", "120 km", "economy", 15, "on_track")],
]
REASONS = {"stalled": "征收补偿方案未获居民同意，工程暂停（residents have not agreed to the compensation plan）",
           "broken": "选址调整为城市绿地，项目取消（the site became a park; the project was cancelled）"}


def load(leaders: list[Target], today: date, actor: str = "cli") -> int:
    """A year of commitments of the first five `leaders`, announced a year before `today`; returns how many."""
    announced = today - timedelta(days=365)
    made = 0
    for leader, promises in zip(leaders[:5], PROMISES):
        for text_zh, text_en, measure_zh, measure_en, category, months, outcome in promises:
            deadline = announced + timedelta(days=30 * months)
            commitment = operations.create_commitment(leader, {
                "text_zh": text_zh, "text_en": text_en, "measure_zh": measure_zh, "measure_en": measure_en,
                "deadline": deadline, "announced_on": announced, "announced_where": "《江川日报》·“政风行风热线”",
                "category": category}, actor, state="published")
            made += 1
            # progress every quarter; a stalled commitment stops after the first, a broken one after two
            quarters = {"stalled": 1, "broken": 2}.get(outcome, 4)
            for q in range(1, quarters + 1):
                on = announced + timedelta(days=80 * q)
                if on >= today:
                    break
                percent = min(100, 25 * q) if outcome in ("kept", "on_track", "late") else 15 * q
                if outcome == "late":
                    percent = min(percent, 80)
                entry = operations.add_progress(
                    commitment, on=on, actor=actor, percent=percent,
                    done=f"第{q}季度：完成年度计划的{percent}%。" if q < 4 or outcome != "kept" else "全面完成并通过验收。",
                    evidence="市政府督查室季度通报" if q % 2 else "", milestone="验收通过" if percent == 100 else "")
                operations.review_progress(entry, "approved", "", actor)
            if outcome == "on_track":  # last week's report waits for review, as staff would find it
                operations.add_progress(commitment, on=today - timedelta(days=7), actor=actor, percent=90,
                                        done="主体工程完工，正在进行验收准备。")
            if outcome == "kept":
                operations.set_status(commitment, "kept", "", actor)
            elif outcome in REASONS:
                operations.set_status(commitment, outcome, REASONS[outcome], actor)
    return made


#: how the public's mood about a commitment moves with its outcome (added to its leader's, on the demo's latent scale)
RATING_BIAS = {"kept": 0.8, "in_progress": 0.1, "stalled": -0.9, "broken": -1.4}

