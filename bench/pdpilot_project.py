"""Build a qualkit project from the PDPilot interviews and the researchers' own coding.

    python bench/pdpilot_project.py [/tmp/pdpilot-project]
    qualkit eval suggestions --coder gold --project /tmp/pdpilot-project --level theme
    qualkit eval suggestions --coder gold --project /tmp/pdpilot-project --level code

The project is written OUTSIDE the repository (the corpus is for benchmarks only):
- transcripts/P1.txt..P7.txt from transcripts_txt, with a front-matter speakers map
  (Dan = interviewer; Participant and its typo Particpant = the participant P1..P7),
  transcripts/participants.csv, qualkit.yaml with `segmentation: turn`;
- codebook.yaml from codebook.csv (hierarchy from code_path, memos as descriptions, slug ids);
- the researchers' 261 coded segments imported as coder `gold`: each coded span
  paragraph_start..paragraph_end is mapped to the participant turns it covers (turn i of a
  transcript = the i-th row of transcript_turns.csv for that document; checked by text).
"""

from __future__ import annotations

import csv
import re
import shutil
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "pdpilot"
if not CORPUS.exists():
    CORPUS = Path("/work/shared/corpora/pdpilot")
SKIP_CODES = {"Anonymize"}  # procedural code, not exported with segments


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "code"


def yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_codebook(rows: list[dict], path: Path) -> dict[str, str]:
    """codebook.yaml from codebook.csv; returns code_path -> id."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    children: dict[str | None, list[dict]] = {}
    for r in rows:
        if r["code"] in SKIP_CODES:
            continue
        parts = r["code_path"].split(" > ")
        parent = " > ".join(parts[:-1]) or None
        base = slug(parts[-1])
        cid = base if base not in taken else slug(" ".join(parts[-2:]))
        n = 2
        while cid in taken:
            cid = f"{base}-{n}"
            n += 1
        taken.add(cid)
        ids[r["code_path"]] = cid
        children.setdefault(parent, []).append(r)
    lines = ["# PDPilot user study codebook (from codebook.csv; memos as descriptions).", "codes:"]

    def emit(parent: str | None, depth: int) -> None:
        pad = "  " * (2 * depth)
        for r in children.get(parent, []):
            lines.append(f"{pad}  - id: {ids[r['code_path']]}")
            lines.append(f"{pad}    name: {yaml_str(r['code'])}")
            memo = (r.get("memo") or "").strip()
            if memo:
                lines.append(f"{pad}    description: {yaml_str(memo)}")
            if children.get(r["code_path"]):
                lines.append(f"{pad}    children:")
                emit(r["code_path"], depth + 1)

    emit(None, 0)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def build(dest: Path) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from qualkit.project import Project

    if dest.exists():
        shutil.rmtree(dest)
    (dest / "transcripts").mkdir(parents=True)
    docs = sorted(p.stem for p in (CORPUS / "transcripts_txt").glob("P*.txt"))
    for doc in docs:
        body = (CORPUS / "transcripts_txt" / f"{doc}.txt").read_text(encoding="utf-8")
        front = (
            f"---\nid: {doc}\nkind: interview\nspeakers:\n  Dan: interviewer\n"
            f"  Participant: {doc}\n  Particpant: {doc}\n---\n"
        )
        (dest / "transcripts" / f"{doc}.txt").write_text(front + body, encoding="utf-8")
    with open(dest / "transcripts" / "participants.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["participant_id", "group"])
        for doc in docs:
            w.writerow([doc, "ML practitioner"])
    (dest / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    ids = write_codebook(read_csv(CORPUS / "codebook.csv"), dest / "codebook.yaml")

    p = Project.init(dest)
    p.ingest()
    segs = p.segments(include_interviewer=True)
    turns = read_csv(CORPUS / "transcript_turns.csv")
    by_doc: dict[str, list[dict]] = {}
    for t in turns:
        by_doc.setdefault(t["document"], []).append(t)
    seg_of: dict[tuple[str, int], dict] = {}
    mismatches = 0
    for doc, rows in by_doc.items():
        s = segs[segs["transcript"] == doc].sort_values(["turn", "position"])
        first = s.groupby("turn").head(1)
        if len(first) != len(rows):
            raise SystemExit(f"{doc}: {len(first)} turns ingested, {len(rows)} in the corpus")
        for row, seg in zip(rows, first.itertuples(), strict=True):
            if " ".join(row["text"].split())[:40] != " ".join(seg.text.split())[:40]:
                mismatches += 1
            seg_of[(doc, int(row["paragraph"]))] = {
                "segment_id": int(seg.segment_id),
                "participant": row["role"] == "participant",
            }
    if mismatches:
        raise SystemExit(f"{mismatches} turns do not match transcript_turns.csv by text")
    coded = read_csv(CORPUS / "coded_segments.csv")
    out = dest / ".qualkit" / "gold-codings.csv"
    pairs: set[tuple[int, str]] = set()
    unmapped = 0
    for c in coded:
        code_id = ids.get(c["code_path"])
        if code_id is None:
            continue
        hit = False
        for par in range(int(c["paragraph_start"]), int(c["paragraph_end"]) + 1):
            s = seg_of.get((c["document"], par))
            if s and s["participant"]:
                pairs.add((s["segment_id"], code_id))
                hit = True
        unmapped += not hit
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["segment_id", "code"])
        for sid, code in sorted(pairs):
            w.writerow([sid, code])
    n = p.import_codings(out, "gold")
    info = {
        "project": str(dest),
        "transcripts": len(docs),
        "turns": len(segs),
        "participant_turns": int((~segs["is_interviewer"]).sum()),
        "codes": len(ids),
        "coded_segments": len(coded),
        "codings_imported": n,
        "coded_turns": len({s for s, _ in pairs}),
        "coded_segments_without_participant_turn": unmapped,
    }
    p.close()
    return info


if __name__ == "__main__":
    dest = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/pdpilot-project")
    for k, v in build(dest).items():
        print(f"{k}: {v}")
