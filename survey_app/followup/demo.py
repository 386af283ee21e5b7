"""The demo's follow-up of alerts: the cases its publications opened, and by hand enough more for one
of each kind — a reminder talk, a letter of inquiry with its reply, an admonishing talk (with a
letter whose reply is overdue), a self-correction report, and a closed case (called by survey_app.demo)."""
from datetime import date, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import AlertCase, Target
from . import operations

#: why staff opened a demo case by hand: results only, no informant
NOTE = "上年度测评不满意率接近预防线，列入跟踪（last year's dissatisfaction came close to the prevention line）"
#: how many cases the demo shows, one per kind
KINDS = ("letter_with_reply", "self_correction", "reminder_talk", "admonishing_talk", "closed")


def _script(case: AlertCase, kind: str, today: date, actor: str, reply_days: int) -> None:
    def step(kind_, days_ago, **values):
        return operations.add_step(case, kind_, on=today - timedelta(days=days_ago), actor=values.pop("by", actor),
                                   reply_working_days=reply_days, **values)
    if kind == "letter_with_reply":
        letter = step("letter", 30, held_by="市纪委监委党风政风监督室",
                      text="请就测评中群众反映的办事效率问题作出书面说明，并提出整改措施。")
        step("reply", 22, by="leader01", answers=letter,
             text="已召开专题会议查摆问题：窗口人员不足、流程环节多。已增设窗口2个，审批环节由5个减为3个。")
    elif kind == "self_correction":
        step("self_correction", 10, by="unit01",
             text="自查自纠报告：对照测评结果逐项查摆，梳理问题6项，已整改4项，其余2项列入年度计划。")
    elif kind == "reminder_talk":
        step("reminder_talk", 14, held_by="市纪委副书记 王强", text="指出测评反映的问题，提醒及时整改。")
    elif kind == "admonishing_talk":
        step("admonishing_talk", 40, held_by="市纪委书记 陈刚", place="市纪委监委谈话室",
             text="针对测评处于警示区间，进行诫勉谈话，要求一个月内报送整改方案。")
        step("letter", 35, held_by="市纪委监委党风政风监督室", text="请报送整改方案及阶段进展。")  # reply overdue
    elif kind == "closed":
        step("reminder_talk", 60, held_by="市纪委副书记 王强", text="提醒谈话。")
        step("self_correction", 45, text="自查自纠报告：问题已全部整改到位。")
        operations.close_case(case, "corrected", "整改措施已落实，复查无新问题，结案。", actor)


def load(with_accounts: list[Target], others: list[Target], today: date, actor: str = "cli",
         reply_days: int = 10) -> int:
    """Script the demo's cases: the first the publications opened (the accounts' targets first, opened
    by hand when their results raised no alert), and more by hand from `others` until there is one
    case of each of KINDS. Returns how many cases were scripted."""
    cases = list(db.session.execute(select(AlertCase).where(AlertCase.status == "open")
                                    .order_by(AlertCase.opened_at, AlertCase.id)).scalars())
    by_target = {c.target_id: c for c in cases}
    chosen = []
    for target in with_accounts:
        case = by_target.get(target.id) or operations.open_case_by_hand(target, "prevention", NOTE, actor,
                                                                         names_no_informant=True)
        chosen.append(case)
    chosen += [c for c in cases if c not in chosen]
    for target in others:
        if len(chosen) >= len(KINDS):
            break
        if target.id not in by_target and all(c.target_id != target.id for c in chosen):
            chosen.append(operations.open_case_by_hand(target, "prevention", NOTE, actor, names_no_informant=True))
    for case, kind in zip(chosen, KINDS):
        _script(case, kind, today, actor, reply_days)
    return min(len(chosen), len(KINDS))
