"""How long refusing a questionnaire bomb takes, against reading a real template in the same run.

    python -m bench.yaml_limits

Each uploaded questionnaire is read under limits (size, nesting depth, alias expansion); a bomb
must stop at its limit. For every bomb of the test suite this prints the CPU time of a refusal
(best of 5) and its ratio to reading the sector-style template, which is what an upload costs.
"""
import sys
import time
from pathlib import Path

import questionnaires
from questionnaires import QuestionnaireInvalid

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.questionnaires.test_yaml_limits import BOMBS, TEMPLATE  # noqa: E402  - the suite's bombs


def best_cpu(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def refuse(text) -> None:
    try:
        questionnaires.loads(text)
    except QuestionnaireInvalid:
        return
    raise AssertionError("a bomb was read")


def main() -> None:
    template = best_cpu(lambda: questionnaires.loads(TEMPLATE))
    print(f"reading the sector-style template: {template * 1000:8.1f} ms of CPU (baseline)")
    for name, (text, code) in BOMBS.items():
        spent = best_cpu(lambda: refuse(text))
        print(f"{name:<48} refused ({code}) in {spent * 1000:8.1f} ms  ratio {spent / template:6.2f}")


if __name__ == "__main__":
    main()
