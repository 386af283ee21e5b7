"""The demo: a fictional city (江川市, Jiangchuan) with departments, leaders, seven appraisal
campaigns and a decision meeting of its discipline commission's standing committee.

Every ballot goes through the same sealed ballot box and counting as real ones, and every
count is signed by the demo's counting officers.
"""
import random
from datetime import datetime, timedelta

import questionnaires
from flask import current_app
from sqlalchemy import select

from . import audit
from .admin import operations
from .auth.operations import create_user
from .ballots import operations as ballots
from .ballots.keys import Officer
from .ballots.validation import BallotContent, asked
from .commitments import demo as commitments_demo
from .followup import demo as followup_demo
from .designer.operations import save_questionnaire
from .extensions import db
from .meetings.operations import Matter, Setup, create_meeting
from .models import Campaign, Comment, Commitment, Target, User
from .models._types import utcnow
from .rectification import demo as rectification_demo

#: the demo's counting panel, 2 of 3: (login, name, passphrase); the logins use PASSWORD
OFFICERS = [("officer1", "王守正", "jiangchuan officer one"), ("officer2", "刘清源", "jiangchuan officer two"),
            ("officer3", "陈公明", "jiangchuan officer three")]
THRESHOLD = 2
#: two officers' passphrases, as at a demo counting (officer position -> passphrase)
COUNTING = {1: OFFICERS[0][2], 2: OFFICERS[1][2]}
PASSWORD = "demo-password-2026"

UNITS = [
    ("u01", "江川市公安局", "Jiangchuan Public Security Bureau"),
    ("u02", "江川市市场监督管理局", "Jiangchuan Market Regulation Administration"),
    ("u03", "江川市人力资源和社会保障局", "Jiangchuan Human Resources and Social Security Bureau"),
    ("u04", "江川市自然资源和规划局", "Jiangchuan Natural Resources and Planning Bureau"),
    ("u05", "江川市住房和城乡建设局", "Jiangchuan Housing and Urban-Rural Development Bureau"),
    ("u06", "江川市交通运输局", "Jiangchuan Transport Bureau"),
    ("u07", "江川市教育局", "Jiangchuan Education Bureau"),
    ("u08", "江川市卫生健康委员会", "Jiangchuan Health Commission"),
    ("u09", "江川市生态环境局", "Jiangchuan Ecology and Environment Bureau"),
    ("u10", "江川市税务局", "Jiangchuan Taxation Bureau"),
    ("u11", "江川市行政审批服务局", "Jiangchuan Administrative Approval Service Bureau"),
    ("u12", "江川市民政局", "Jiangchuan Civil Affairs Bureau"),
]
SURNAMES = [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
            ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"), ("徐", "Xu"), ("孙", "Sun"),
            ("胡", "Hu"), ("朱", "Zhu"), ("高", "Gao"), ("林", "Lin"), ("何", "He"), ("郭", "Guo"),
            ("马", "Ma"), ("罗", "Luo")]
GIVEN = [("建国", "Jianguo"), ("秀英", "Xiuying"), ("志强", "Zhiqiang"), ("丽华", "Lihua"), ("海涛", "Haitao"),
         ("晓燕", "Xiaoyan"), ("明辉", "Minghui"), ("春梅", "Chunmei"), ("卫东", "Weidong"), ("静", "Jing"),
         ("永刚", "Yonggang"), ("红霞", "Hongxia"), ("文博", "Wenbo"), ("雪莲", "Xuelian"), ("国庆", "Guoqing"),
         ("慧敏", "Huimin"), ("振华", "Zhenhua"), ("玉兰", "Yulan"), ("德胜", "Desheng"), ("美玲", "Meiling")]
COMMENTS = [
    "窗口工作人员态度很好，办事效率比去年明显提高。",
    "希望进一步公开收费标准，网上办事流程还可以再简化。",
    "有时电话打不通，建议增加咨询人员。",
    "The online service works well, but the opening hours are too short for working people.",
    "办事大厅排队时间较长，建议增加周末窗口。",
    "整体满意，个别窗口人员解释政策不够耐心。",
]


def _targets() -> tuple[list[Target], list[Target]]:
    units = [Target(code=code, kind="unit", name_zh=zh, name_en=en) for code, zh, en in UNITS]
    db.session.add_all(units)
    db.session.flush()
    leaders = []
    for i in range(20):
        unit = units[i % 12]
        head = i < 12
        (sz, se), (gz, ge) = SURNAMES[i], GIVEN[i]
        leaders.append(Target(
            code=f"l{i + 1:02d}", kind="leader", name_zh=sz + gz, name_en=f"{se} {ge}", unit=unit,
            post_zh=unit.name_zh.removeprefix("江川市") + ("局长" if head and "委员会" not in unit.name_zh
                                                         else "主任" if head else "副局长"),
            post_en=("Director, " if head else "Deputy Director, ") + unit.name_en.removeprefix("Jiangchuan ")))
    db.session.add_all(leaders)
    db.session.commit()
    return units, leaders


def _version(kind: str):
    return save_questionnaire(questionnaires.template(kind), publish=True)


def _simulate(campaign: Campaign, rng: random.Random, quality: dict[str, float],
              sizes: dict[str, int], start: datetime, days: int, codes_for: set[str],
              own_bias: dict[str, float] | None = None) -> None:
    """Submit simulated ballots through the real box, spread over the campaign's days. A target's own
    items (its commitments) are answered for it alone, the mood moved by `own_bias` (item code -> offset)."""
    q = campaign.questionnaire
    own_bias = own_bias or {}
    scored = [o for o in q.scale.options if o.points is not None]
    dont_know = next((o for o in q.scale.options if o.points is None), None)
    bias = {"public": -0.25, "recipients": 0.0, "deputies": 0.15, "staff": 0.35, "supervisors": -0.1}
    for group in campaign.groups:
        plain = ballots.issue_codes(campaign, group, sizes[group.code]) if group.code in codes_for else []
        for n in range(sizes[group.code]):
            content = BallotContent()
            straight = rng.random() < 0.02
            for ct in campaign.campaign_targets:
                if rng.random() < 0.12 and dont_know:  # does not know this target at all
                    for item in q.rating_items():
                        if item.asked_of(ct.target.code):
                            content.answers.append((ct.target.code, item.code, dont_know.code))
                    continue
                mood = quality[ct.target.code] + bias.get(group.code, 0) + rng.gauss(0, 0.6)
                for item in asked(q, group.code).per_target:
                    if not item.asked_of(ct.target.code):
                        continue
                    if item.type == "rating":
                        if straight:
                            option = scored[0]
                        else:
                            x = mood + own_bias.get(item.code, 0.0) + rng.gauss(0, 0.7)
                            # Thresholds on a latent scale: most answers good, some poor.
                            level = 0 if x > 0.3 else 1 if x > -0.7 else 2 if x > -1.4 else 3
                            option = scored[min(level, len(scored) - 1)]
                        content.answers.append((ct.target.code, item.code, option.code))
                    elif item.type == "text" and rng.random() < 0.04:
                        content.comments.append((ct.target.code, item.code, rng.choice(COMMENTS)))
            for item in asked(q, group.code).per_ballot:
                if item.type in ("single", "multiple"):
                    content.answers.append((None, item.code, rng.choice(item.options).code))
            when = start + timedelta(days=min(days - 1, int(days * rng.random() ** 1.5)), hours=9)
            ballots.submit(campaign, group, content, code=plain[n] if plain else None, now=when)


def _answer_and_publish(campaign: Campaign, rng: random.Random, quality: dict[str, float], sizes: dict[str, int],
                        start: datetime, days: int, codes_for: set[str],
                        own_bias: dict[str, float] | None = None) -> Campaign:
    """An open campaign answered through the real box (`_simulate`, a target's own items for it alone),
    closed, counted by the demo's officers and published."""
    _simulate(campaign, rng, quality, sizes, start, days, codes_for, own_bias)
    operations.close_campaign(campaign)
    operations.count_campaign(campaign, COUNTING)
    operations.publish_campaign(campaign)
    return campaign


def _campaign(code, kind, title_zh, title_en, version, targets, groups, opens, closes, hotline) -> Campaign:
    campaign = operations.create_campaign(code=code, kind=kind, title_zh=title_zh, title_en=title_en,
                                          version=version, opens_at=opens, closes_at=closes, min_group_size=5,
                                          hotline=hotline, contact="江川市纪委监委纠风办 · 江川市人民路1号")
    for gcode, zh, en, weight, access, expected in groups:
        operations.add_group(campaign, code=gcode, name_zh=zh, name_en=en, weight=weight, access=access,
                             expected=expected)
    operations.set_targets(campaign, targets)
    operations.open_campaign(campaign, _panel(), THRESHOLD)
    return campaign


def _panel() -> list:
    accounts = {u.username: u.id for u in db.session.execute(
        select(User).where(User.username.in_([login for login, _n, _p in OFFICERS]))).scalars()}
    return [Officer(name, passphrase, accounts.get(login)) for login, name, passphrase in OFFICERS]


#: the decision meeting's committee: 9 named members
COMMITTEE = ["周正清", "吴守廉", "郑明德", "冯立新", "陈思远", "褚国强", "卫东方", "蒋文华", "沈志诚"]
#: (kind, 中文, English, votes: agree / disagree / abstain among the first 7 of the 8 members who vote; one
#: member stays away and the eighth casts a blank ballot)
MATTERS = [
    ("ordinary", "关于开展2027年度作风行风评议工作的方案", "Plan for the 2027 work-style and sector-style appraisal",
     (6, 1, 0)),
    ("especially_major", "关于市纪委监委派驻机构改革的实施意见", "Reform of the commission's resident supervision offices",
     (5, 2, 0)),
    ("personnel", "关于拟任命王守正同志为第一纪检监察室主任的议题",
     "Appointment of Wang Shouzheng as director of the first discipline inspection office", (6, 0, 1)),
]


def _decision_meeting(now: datetime) -> Campaign:
    """The commission's standing committee decides three matters of three kinds, by secret ballot."""
    setup = Setup("江川市纪委常委会重大事项表决（2026年第12次会议）",
                  "Jiangchuan discipline commission standing committee: vote on major matters (12th meeting of 2026)",
                  "江川市纪委常委会", "Standing Committee of the Jiangchuan Discipline Inspection Commission",
                  len(COMMITTEE), tuple(COMMITTEE), tuple(Matter(zh, en, kind) for kind, zh, en, _v in MATTERS),
                  opens_at=now - timedelta(days=1, hours=2), closes_at=now - timedelta(days=1, hours=1))
    meeting = create_meeting("decision-2026-12", setup)
    operations.open_campaign(meeting, _panel(), THRESHOLD)
    group = meeting.group("members")
    codes = ballots.issue_codes(meeting, group, len(COMMITTEE))
    voting = len(COMMITTEE) - 1  # one member is away
    for member in range(voting):
        content = BallotContent()
        for ct, (_kind, _zh, _en, (agree, disagree, _abstain)) in zip(meeting.campaign_targets, MATTERS):
            # The last of those who vote casts a blank ballot: it counts as voting, never as agreement.
            if member == voting - 1:
                continue
            vote = "agree" if member < agree else "disagree" if member < agree + disagree else "abstain"
            content.answers.append((ct.target.code, "q01", vote))
        ballots.submit(meeting, group, content, code=codes[member], now=now - timedelta(days=1, hours=1, minutes=30))
    operations.close_campaign(meeting)
    operations.count_campaign(meeting, COUNTING)
    operations.publish_campaign(meeting)
    return meeting


def _promise_rating(leaders: list[Target], rng: random.Random, quality: dict[str, float], now: datetime,
                    scale: float) -> Campaign:
    """The public rating of the five leaders' commitments (评诺): opened once their commitments are
    published (opening freezes each leader's own items), answered, counted and published."""
    campaign = _campaign(
        "promise-2026", "public_rating", "2026年度领导干部公开承诺群众评议（评诺）",
        "Public rating of the leaders' 2026 commitments", _version("public_rating"), leaders,
        [("public", "人民群众", "The public", 0.6, "public", 120),
         ("deputies", "人大代表、政协委员", "People's congress deputies and CPPCC members", 0.4, "code", 40)],
        now - timedelta(days=14), now - timedelta(days=1), "0871-12388")
    bias = {item.code: commitments_demo.RATING_BIAS.get(db.session.get(Commitment, item.source_id).status, 0.0)
            for item in campaign.items}
    return _answer_and_publish(campaign, rng, quality,
                               {"public": max(6, int(60 * scale)), "deputies": max(5, int(24 * scale))},
                               now - timedelta(days=14), 12, {"deputies"}, bias)


def _review(original: Campaign, rng: random.Random, quality: dict[str, float], now: datetime,
            scale: float) -> Campaign:
    """The review (回头看) of `original`'s rectification, drafted by the ledger's demo: opened (each
    department's approved measures frozen as its own items), answered by a few respondents of each
    group, counted and published, so that its report shows it beside the original result."""
    review = db.session.execute(select(Campaign).where(Campaign.code == f"{original.code}-review")).scalar_one()
    review.opens_at, review.closes_at = now - timedelta(days=8), now - timedelta(hours=12)
    operations.open_campaign(review, _panel(), THRESHOLD)
    return _answer_and_publish(review, rng, quality,
                               {"public": max(6, int(16 * scale)), "recipients": max(5, int(8 * scale)),
                                "deputies": 5, "supervisors": 5},
                               now - timedelta(days=8), 7, {"recipients", "deputies", "supervisors"})


def load(echo=print, scale: float = 1.0) -> None:
    rng = random.Random(20261128)
    for login, name, _passphrase in OFFICERS:
        if db.session.execute(select(User).where(User.username == login)).scalar_one_or_none() is None:
            create_user(login, PASSWORD, "officer", name)
    units, leaders = _targets()
    quality = {t.code: rng.gauss(0.4, 0.55) for t in units + leaders}
    now = utcnow().replace(microsecond=0)

    sector_groups = [("public", "人民群众", "The public", 0.4, "public", 300),
                     ("recipients", "服务对象", "Service recipients", 0.3, "code", 0),
                     ("deputies", "人大代表、政协委员", "People's congress deputies and CPPCC members", 0.2, "code", 0),
                     ("supervisors", "特邀行风监督员", "Invited sector-style supervisors", 0.1, "code", 0)]
    sector_version = _version("sector_style")

    # 0. Last year's sector-style appraisal, published: the reports show a trend.
    last_year = _campaign(
        "sector-2025", "sector_style", "2025年度江川市行风评议", "Jiangchuan sector-style appraisal 2025",
        sector_version, units, sector_groups, now - timedelta(days=420), now - timedelta(days=390), "0871-12388")
    earlier = {code: q - rng.gauss(0.2, 0.3) for code, q in quality.items()}
    _answer_and_publish(last_year, rng, earlier, {"public": int(150 * scale), "recipients": int(80 * scale),
                                                  "deputies": int(30 * scale), "supervisors": max(5, int(8 * scale))},
                        now - timedelta(days=420), 28, {"recipients", "deputies", "supervisors"})

    # 1. Sector-style appraisal of the departments: counted and published.
    sector = _campaign(
        "sector-2026", "sector_style", "2026年度江川市行风评议", "Jiangchuan sector-style appraisal 2026",
        sector_version, units, sector_groups,
        now - timedelta(days=60), now - timedelta(days=30), "0871-12388")
    sizes = {"public": int(220 * scale), "recipients": int(120 * scale), "deputies": int(40 * scale),
             "supervisors": max(4, int(6 * scale))}
    _simulate(sector, rng, quality, sizes, now - timedelta(days=60), 28, {"recipients", "deputies", "supervisors"})
    operations.close_campaign(sector)
    operations.count_campaign(sector, COUNTING)
    comments = db.session.execute(select(Comment).where(Comment.campaign_id == sector.id)).scalars().all()
    for i, comment in enumerate(comments):
        comment.status = "published" if i % 3 else "pending"
    db.session.commit()
    operations.publish_campaign(sector)

    # 2. Work-style appraisals of the leaders: last year's published (so that every leader,
    # leader01 among them, has a report to read from the start), this year's closed and
    # counted, not yet published (staff publish it).
    work_groups = [("staff", "干部职工", "Staff", 0.5, "code", 0),
                   ("deputies", "人大代表、政协委员", "People's congress deputies and CPPCC members", 0.3, "code", 0),
                   ("recipients", "服务对象", "Service recipients", 0.2, "code", 0)]
    work_version = _version("work_style")
    work_last = _campaign(
        "work-2025", "work_style", "2025年度江川市领导干部作风评议", "Jiangchuan work-style appraisal of leaders 2025",
        work_version, leaders, work_groups, now - timedelta(days=400), now - timedelta(days=385), "0871-12388")
    _answer_and_publish(work_last, rng, {code: q - rng.gauss(0.15, 0.3) for code, q in quality.items()},
                        {"staff": int(60 * scale), "deputies": int(20 * scale), "recipients": int(16 * scale)},
                        now - timedelta(days=400), 14, {"staff", "deputies", "recipients"})

    work = _campaign(
        "work-2026", "work_style", "2026年度江川市领导干部作风评议", "Jiangchuan work-style appraisal of leaders 2026",
        work_version, leaders, work_groups,
        now - timedelta(days=20), now - timedelta(days=2), "0871-12388")
    _simulate(work, rng, quality, {"staff": int(90 * scale), "deputies": int(30 * scale),
                                   "recipients": int(24 * scale)},
              now - timedelta(days=20), 16, {"staff", "deputies", "recipients"})
    operations.close_campaign(work)
    operations.count_campaign(work, COUNTING)

    # 3. Evaluation of published duty-and-integrity reports: open now.
    integrity = _campaign(
        "report-2026", "integrity_report", "2026年度党政正职公开述职述廉测评",
        "Evaluation of the 2026 duty-and-integrity reports of top leaders",
        _version("integrity_report"), leaders[:5],
        [("public", "人民群众", "The public", 0.5, "public", 200),
         ("staff", "干部职工", "Staff", 0.5, "code", 60)],
        now - timedelta(days=3), now + timedelta(days=27), "0871-12388")
    for ct in integrity.campaign_targets:
        ct.report_zh = (f"{ct.target.name_zh}同志{ct.target.post_zh}述职述廉报告（摘要）\n"
                        "一、履行职责情况：全面落实年度重点工作目标，推进“放管服”改革，办事时限压缩30%。\n"
                        "二、落实“五个不直接分管”情况：不直接分管人事、财务、工程建设、物资采购和行政审批。\n"
                        "三、廉洁自律情况：严格执行中央八项规定精神，无违规违纪问题。\n"
                        "四、存在问题和改进措施：调查研究还不够深入，下一步将加强基层走访。")
        ct.report_en = (f"Duty-and-integrity report of {ct.target.name_en}, {ct.target.post_en} (summary)\n"
                        "1. Duties: met the year's key targets; processing times cut by 30%.\n"
                        "2. Not directly overseeing personnel, finance, construction, procurement or approvals.\n"
                        "3. Integrity: kept the eight-point rules; no breach found.\n"
                        "4. Shortcomings: more field visits are planned.")
    db.session.commit()
    _simulate(integrity, rng, quality, {"public": int(30 * scale), "staff": int(20 * scale)},
              now - timedelta(days=3), 3, {"staff"})
    sample = ballots.issue_codes(integrity, integrity.group("staff"), 5)

    # 4. A decision meeting: the standing committee (9 members) votes on three matters.
    meeting = _decision_meeting(now)

    for username, role, name, target in [("admin", "admin", "系统管理员", None), ("staff", "staff", "纠风办 李明", None),
                                         ("clerk", "clerk", "录入员 张华", None), ("auditor", "auditor", "审计 赵敏", None),
                                         ("leader01", "leader", leaders[0].name_zh, leaders[0]),
                                         ("unit01", "leader", units[0].name_zh, units[0])]:
        if db.session.execute(select(User).where(User.username == username)).scalar_one_or_none() is None:
            create_user(username, PASSWORD, role, name, target.id if target else None)
    # 5. A year of public commitments of five leaders (亮诺 · 践诺), and the public's rating of them
    # (评诺): each leader's own commitments asked of them alone, counted and published.
    promised = commitments_demo.load(leaders, now.date())
    rating = _promise_rating(leaders[:5], rng, quality, now, scale)
    # 6. Rectification ledgers of two departments after last year's and this year's results (整改台账).
    rectified = rectification_demo.load(last_year, sector, units, now.date())
    review = _review(sector, rng, quality, now, scale)
    # 7. The follow-up of the published alerts (预防 · 警示): one case of each kind.
    followed = followup_demo.load([leaders[0], units[0]], leaders[5:] + units[1:], now.date(),
                                  reply_days=current_app.config["CASE_REPLY_WORKING_DAYS"])
    audit.record("demo.load", "", actor="cli")
    db.session.commit()
    echo(f"Demo loaded: 江川市 / Jiangchuan — 12 departments, 20 leaders, 7 campaigns, {promised} public commitments "
         f"rated by the public ({rating.code}), "
         f"{rectified} rectification items and their review, counted and published ({review.code}), "
         f"{followed} alert cases "
         f"and a decision meeting ({meeting.code}: 9 members, 3 matters, counted, signed and published).")
    echo(f"  staff logins (password {PASSWORD}): admin, staff, clerk, auditor, leader01, unit01, "
         + ", ".join(login for login, _n, _p in OFFICERS))
    echo(f"  counting officers of the demo campaigns ({THRESHOLD} of {len(OFFICERS)} open the box): "
         + "; ".join(f"{login} {name}: {passphrase!r}" for login, name, passphrase in OFFICERS))
    echo("  access codes to try the open campaign (report-2026, staff group): " + ", ".join(sample))
