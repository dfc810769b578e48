"""Report exports benchmark: a synthetic project of 50,000 segments with 20,000 codings.

Times the theme × group matrix (``Project.matrix``, roll-up and totals included) and a quote
bank exported as Markdown (selection, ranking without cached embeddings, attribution,
pseudonymisation, rendering), each next to a baseline measured in the same run: a pandas
crosstab of the same codings by group (read from the store, joined to the participants'
groups). Every transcript is fictional text made up here.

Goal (issue 9): under 2 s each on our 2-core machines.

    python bench/reports.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

TRANSCRIPTS = 100
TURNS = 500  # participant turns per transcript: 50,000 segments (segmentation: turn)
CODINGS = 20_000
CODEBOOK_THEMES = 8
SUB_CODES = 5
GROUPS = ["Parent", "Team member", "Stakeholder"]
SERVICES = ["Together Time", "One-to-one therapy", ""]
WORDS = (
    "baby group session wait referral health visitor felt listened home worried sleep "
    "crying team rang week months closer notice calmer trust language interpreter family "
    "partner nursery centre support really honestly think know help time first place"
).split()


def build_project(root: Path) -> None:
    rng = random.Random(9)
    (root / "transcripts").mkdir(parents=True)
    (root / "qualkit.yaml").write_text(
        'segmentation: turn\nquote_attribution: "({group}, {service})"\n', encoding="utf-8"
    )
    lines = ["codes:"]
    for t in range(CODEBOOK_THEMES):
        lines += [f"  - id: theme-{t}", f"    name: Theme {t}", "    children:"]
        for s in range(SUB_CODES):
            lines += [f"      - id: code-{t}-{s}", f"        name: Code {t}.{s}"]
    (root / "codebook.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    people = ["participant_id,group,service"]
    for t in range(TRANSCRIPTS):
        for k in range(2):
            group = GROUPS[(t + k) % 3]
            service = SERVICES[t % 2] if group == "Parent" else ""
            people.append(f"X{t:03d}{k},{group},{service}")
    (root / "transcripts" / "participants.csv").write_text("\n".join(people) + "\n", "utf-8")
    for t in range(TRANSCRIPTS):
        body = [
            "---",
            f"id: t{t:03d}",
            "speakers:",
            f"  Ada: X{t:03d}0",
            f"  Bo: X{t:03d}1",
            "---",
            "FICTIONAL TRANSCRIPT for the reports benchmark.",
            "",
        ]
        for turn in range(TURNS):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 60)))
            body += [f"{'Ada' if turn % 2 == 0 else 'Bo'}: {words.capitalize()}.", ""]
        (root / "transcripts" / f"t{t:03d}.txt").write_text("\n".join(body), encoding="utf-8")


def code_project(project) -> None:  # noqa: ANN001
    rng = random.Random(10)
    ids = project.segments()["segment_id"].astype(int).tolist()
    codes = [c for c in project.codebook.codes if project.codebook.get(c).parent]
    chosen = rng.sample(ids, CODINGS)
    rows = [{"segment_id": sid, "code_id": rng.choice(codes)} for sid in chosen]
    project.store.add_codings(rows, "ana", action="import")
    for row in rows[::97]:  # a few starred quotes, as coders leave them
        project.star(row["segment_id"], row["code_id"], "ana")


def crosstab_baseline(project) -> float:  # noqa: ANN001
    import pandas as pd

    start = time.perf_counter()
    frame = pd.DataFrame([dict(r) for r in project.store.codings_rows("ana")])
    groups = {pid: attrs.get("group") for pid, attrs in project.store.participants().items()}
    pd.crosstab(frame["code"], frame["participant"].map(groups), margins=True)
    return time.perf_counter() - start


def best_of(runs: int, action) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    from qualkit.project import Project
    from qualkit.reports.exports import export_quotes

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "study"
        root.mkdir()
        build_project(root)
        start = time.perf_counter()
        project = Project.open(root)
        project.ingest()
        code_project(project)
        setup = time.perf_counter() - start
        segments = len(project.segments())
        codings = len(project.store.layer_codings("ana"))
        base = best_of(3, lambda: crosstab_baseline(project))
        matrix = best_of(3, lambda: project.matrix(by="group", measure="participants"))
        nested = best_of(3, lambda: project.matrix(by=["group", "service"], measure="percent"))
        out = root / "exports" / "quotes.md"
        quotes = best_of(3, lambda: export_quotes(project, out, per_theme=5, allow_names=True))
        project.close()
    print(f"synthetic project: {segments} segments, {codings} codings (setup {setup:.1f} s)")
    print(f"baseline pandas crosstab of the codings by group: {base:.3f} s")
    for label, seconds in (
        ("matrix by group (participants)", matrix),
        ("matrix by group x service (percent)", nested),
        ("quote bank, 5 per theme, Markdown", quotes),
    ):
        verdict = "ok" if seconds < 2.0 else "OVER the 2 s goal"
        print(f"{label:<38} {seconds:6.3f} s  ({seconds / base:5.1f}x baseline)  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
