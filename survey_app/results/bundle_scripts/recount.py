"""Recount a decision meeting from this folder alone (Python 3.11+, standard library only).

    python3 recount.py          (inside the unpacked folder)

Counts every vote of answers.csv per matter, takes the members who voted from receipts.txt
(one receipt per ballot cast, a blank one included) and adds those who handed in a spoiled or
invalid paper sheet ("spoiled" in results.json: present for the quorum, no vote), applies the
rules to N, the members in results.json, and compares every count and outcome with results.json.
Exit status 0: they all agree; 1: something differs (printed).

The rules: an ordinary or personnel matter passes with more than half of all N members
agreeing, an especially major one with at least two thirds of them; a matter is decided
only if at least its quorum of members voted or handed in a spoiled sheet (more than half, two thirds, three quarters
or all of N, as results.json names it for the matter), otherwise it is not decided.
"""
import csv
import json
import sys
from pathlib import Path


def more_than_half(n):
    return n // 2 + 1


def at_least_two_thirds(n):
    return -(-2 * n // 3)


QUORUMS = {"more_than_half": more_than_half, "two_thirds": at_least_two_thirds,
           "three_quarters": lambda n: -(-3 * n // 4), "all": lambda n: n}


def recount(folder):
    folder = Path(folder)
    published = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    members = published["members"]
    voted = sum(1 for line in (folder / "receipts.txt").read_text(encoding="utf-8").splitlines() if line.strip())
    votes = {}
    with open(folder / "answers.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["target"], row["option"])
            votes[key] = votes.get(key, 0) + 1
    present = voted + published.get("spoiled", 0)
    problems = []
    if voted != published["voted"]:
        problems.append(f"receipts.txt lists {voted} ballots, results.json says {published['voted']} voted")
    for matter in published["matters"]:
        code = matter["matter"]
        counted = {v: votes.get((code, v), 0) for v in ("agree", "disagree", "abstain")}
        counted["blank"] = voted - sum(counted.values())
        needed = at_least_two_thirds(members) if matter["kind"] == "especially_major" else more_than_half(members)
        quorum = QUORUMS[matter["quorum"]](members)
        if not quorum <= present <= members:
            outcome = "not_decided"
        else:
            outcome = "passed" if counted["agree"] >= needed else "not_passed"
        mine = {**counted, "votes_needed": needed, "quorum_needed": quorum, "outcome": outcome}
        for key, value in mine.items():
            if matter[key] != value:
                problems.append(f"matter {code}: {key} is {value} by this recount, {matter[key]} in results.json")
        print(f"{code} ({matter['kind']}): agree {counted['agree']}, disagree {counted['disagree']}, "
              f"abstain {counted['abstain']}, blank {counted['blank']}; needs {needed} of {members}, "
              f"quorum {quorum}: {outcome}")
    return problems


if __name__ == "__main__":
    found = recount(Path(__file__).resolve().parent)
    for problem in found:
        print("PROBLEM:", problem)
    print("OK: the recount agrees with results.json" if not found else "FAILED")
    sys.exit(1 if found else 0)
