"""Suggestion quality on PDPilot: k-fold, new interview (--by transcript) and online, both levels;
and, as a separate figure, a new interview coded in order (--online --by transcript).

    python bench/pdpilot_project.py /tmp/pdpilot-project     # once (embeddings are cached)
    python bench/suggest_quality.py [/tmp/pdpilot-project] [--coder gold]

One Suggester per level (the model is loaded once); prints one table of top-1/3/5 and the
issue-14 targets with met / NOT met, then the online curves (top-3 per bin) with baselines.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qualkit.assist.evaluate import evaluate_suggestions  # noqa: E402
from qualkit.assist.interview_online import evaluate_interview_online  # noqa: E402
from qualkit.assist.online import evaluate_online  # noqa: E402
from qualkit.assist.suggest import Suggester  # noqa: E402
from qualkit.project import Project  # noqa: E402

# (level, evaluation, hit rate, goal) from issue 14
TARGETS = [
    ("theme", "online", "top3", 0.93),
    ("code", "online", "top3", 0.72),
    ("theme", "new interview", "top3", 0.90),
    ("code", "new interview", "top5", 0.72),
    ("theme", "k-fold", "top1", 0.68),
    ("theme", "k-fold", "top3", 0.92),
    ("code", "k-fold", "top5", 0.79),
]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = Path(args[0] if args else "/tmp/pdpilot-project")
    coder = sys.argv[sys.argv.index("--coder") + 1] if "--coder" in sys.argv else "gold"
    p = Project.open(root)
    figures: dict[tuple[str, str], dict] = {}
    online: dict[str, dict] = {}
    in_order: dict[str, dict] = {}
    for level in ("theme", "code"):
        sug = Suggester(p, level=level, coder=coder)
        kfold = evaluate_suggestions(p, coder, level=level, suggester=sug)
        by_t = evaluate_suggestions(p, coder, level=level, suggester=sug, group="transcript")
        online[level] = evaluate_online(p, coder, level=level, suggester=sug)
        figures[(level, "k-fold")] = kfold
        figures[(level, "new interview")] = by_t
        figures[(level, "online")] = online[level]["curves"]["suggester"]["all"]
        in_order[level] = evaluate_interview_online(p, coder, sug)["curves"]
    print(f"PDPilot ({root}), coder {coder}, model {sug.embedder.model_id}")
    print(f"{'level':<7}{'evaluation':<15}{'top1':>7}{'top3':>7}{'top5':>7}")
    for (level, kind), d in figures.items():
        print(f"{level:<7}{kind:<15}{d['top1']:>7.3f}{d['top3']:>7.3f}{d['top5']:>7.3f}")
    print("targets (issue 14):")
    for level, kind, k, goal in TARGETS:
        got = figures[(level, kind)][k]
        verdict = "met" if got >= goal else "NOT met"
        print(f"  {level:<6}{kind:<15}{k} {got:.3f} >= {goal:.2f}: {verdict}")
    print("new interview coded in order (--online --by transcript; not the --by transcript row):")
    print(f"  {'level':<7}{'method':<34}{'top1':>7}{'top3':>7}{'top5':>7}")
    for level, curves in in_order.items():
        for method, c in curves.items():
            a = c["all"]
            print(f"  {level:<7}{method:<34}{a['top1']:>7.3f}{a['top3']:>7.3f}{a['top5']:>7.3f}")
    for level, r in online.items():
        curves = r["curves"]
        bins = [b for b in curves["suggester"] if b != "all"]
        print(f"online {level} top3 per bin (every bin: suggester >= best baseline):")
        print(f"  {'':<14}" + "".join(f"{b:>10}" for b in bins))
        for method, c in curves.items():
            print(f"  {method:<14}" + "".join(f"{c[b]['top3']:>10.3f}" for b in bins))
        ok = [
            curves["suggester"][b]["top3"]
            >= max(c[b]["top3"] for m, c in curves.items() if m != "suggester")
            for b in bins
        ]
        print(f"  suggester >= best baseline in {sum(ok)} of {len(bins)} bins")
    p.close()


if __name__ == "__main__":
    main()
