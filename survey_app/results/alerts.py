"""Alerts: the targets whose results call for attention, and how they move when straight-liners are left out."""
from ..models import Campaign
from .adapter import sensitivity

#: the alert codes of the engine (`method.alerts`) that the dashboard lists
RAISED = ("warning", "prevention")


def alerts(data: dict) -> list[dict]:
    """The results' target entries with an alert raised, one whose dissatisfaction interval
    crosses a threshold (rule G: "borderline"), or a funnel alert (rule F, when the method
    turns them on), in the results' order."""
    return [t for t in data["targets"] if t.get("alert") in RAISED or t.get("alert_status") == "borderline"
            or t.get("funnel_alert") in ("low", "high")]


def without_straightliners(campaign: Campaign, data: dict) -> tuple[dict | None, list[dict]]:
    """(results with flagged straight-lining ballots left out, or None when none was flagged;
    per target: score, rank and alert with and without them, and the change of the score)."""
    flagged = sensitivity(campaign, exclude_flagged=True) if data.get("flagged_straightline") else None
    rows = []
    if flagged is not None:
        other = {t["target"]: t for t in flagged["targets"]}
        for entry in data["targets"]:
            alt = other.get(entry["target"], {})
            delta = (alt.get("score") - entry["score"]) if alt.get("score") is not None and \
                entry.get("score") is not None else None
            rows.append({"target": entry["target"], "score": entry.get("score"), "rank": entry.get("rank"),
                         "alt_score": alt.get("score"), "alt_rank": alt.get("rank"), "delta": delta,
                         "alert": entry.get("alert"), "alt_alert": alt.get("alert")})
    return flagged, rows
