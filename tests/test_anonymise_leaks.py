"""`qualkit anonymise check` and the export refusal catch names that used to leak: after a
title ("Mrs. Patel"), at the start of a turn ("Tom came with me"), in a transcript id taken
from a file name; and the check exits 1 when it finds words. All text is fictional."""

from __future__ import annotations

from pathlib import Path

from projects import qualkit

CODEBOOK = "codes:\n  - id: support\n    name: Support\n"

LEAKY = (
    "Interviewer: Who helped you?\n\n"
    "Sarah: My key worker was great, I told Mrs. Patel everything. We also saw Dr. Jameson "
    "twice. Jameson's clinic was near.\n\n"
    "Sarah: Tom came with me, he's my partner.\n"
)

# Only mapped names, and sentences that start with ordinary words, some of them outside the
# common word list but written in lower case elsewhere ("watching", "slowly") or long with an
# everyday ending ("Literally").
ORDINARY = (
    "Interviewer: What was it like?\n\n"
    "Sarah: The first weeks were hard. My partner Tom was working nights. We managed. "
    'Watching her sleep, I felt calmer. "Slowly," the nurse said, "slowly it gets easier." '
    "Literally nobody else rang. Honestly, Mrs. Patel was kind. [laughs] Sometimes I was "
    "watching the clock all night.\n\n"
    "Sarah: Tom came with me. Dr. Jameson saw us twice. Mmmmm. Ohh, yes. Hey, it was fine.\n"
)

MAP = (
    'Sarah: "[parent]"\nTom: "[partner]"\nPatel: "[key worker]"\nJameson: "[doctor]"\n'
    'Okafor: "[surname]"\n'
)


def make_project(root: Path, transcript: str, pseudonyms: str) -> Path:
    done = qualkit("init", str(root), cwd=root.parent)
    assert done.returncode == 0, done.stderr
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "transcripts" / "Sarah Okafor interview.txt").write_text(transcript, "utf-8")
    for args in (["ingest"], ["code", "2", "support", "--coder", "ana"]):
        done = qualkit(*args, cwd=root)
        assert done.returncode == 0, (args, done.stderr)
    done = qualkit("code", "3", "support", "--coder", "ana", cwd=root)
    assert done.returncode == 0, done.stderr
    (root / "pseudonyms.yaml").write_text(pseudonyms, encoding="utf-8")
    return root


def test_names_after_titles_at_turn_starts_and_in_file_names_are_found(tmp_path: Path) -> None:
    root = make_project(tmp_path / "study", LEAKY, 'Sarah: "[parent]"\n')
    check = qualkit("anonymise", "check", cwd=root)
    assert check.returncode == 1, check.stdout + check.stderr
    listed = {line.split()[0] for line in check.stdout.splitlines()[1:]}
    assert listed == {"Patel", "Jameson", "Tom", "Okafor"}, check.stdout
    assert "transcript id 'Sarah Okafor interview'" in check.stdout
    # no false alarm: "My", "We", "Interviewer", "Sarah" (mapped), "Mrs", "Dr" are not listed
    as_json = qualkit("anonymise", "check", "--json", cwd=root)
    assert as_json.returncode == 1 and as_json.stdout.count("\n") == 4

    out = root / "out.csv"
    refused = qualkit("export", "codings", "-o", str(out), cwd=root)
    assert refused.returncode == 1 and "export refused" in refused.stderr
    assert not out.exists()
    refused = qualkit("export", "all", cwd=root)
    assert refused.returncode == 1 and "export refused" in refused.stderr
    assert not any((root / "exports").glob("*")) if (root / "exports").exists() else True


def test_mapped_names_and_ordinary_sentence_starts_pass(tmp_path: Path) -> None:
    root = make_project(tmp_path / "study", ORDINARY, MAP)
    check = qualkit("anonymise", "check", cwd=root)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("no capitalised words outside pseudonyms.yaml")
    out = root / "out.csv"
    done = qualkit("export", "codings", "-o", str(out), cwd=root)
    assert done.returncode == 0, done.stderr
    written = out.read_text(encoding="utf-8-sig")
    for name in ("Sarah", "Tom", "Patel", "Jameson", "Okafor"):
        assert name not in written, name
    assert "[parent] [surname] interview" in written and "Mrs. [key worker]" in written


def test_leaky_project_passes_once_every_name_is_mapped(tmp_path: Path) -> None:
    from qualkit.project import Project
    from qualkit.reports.anonymise import anonymise_check
    from qualkit.reports.exports import export_codings
    from qualkit.reports.pseudonyms import Pseudonyms

    root = make_project(tmp_path / "study", LEAKY, MAP)
    with Project.open(root) as p:
        assert anonymise_check(p) == []
        out = root / "codings.csv"
        assert export_codings(p, out) == 2
        text = out.read_text(encoding="utf-8-sig")
        assert "[key worker]" in text and "[doctor]" in text and "[surname]" in text
        for name in ("Sarah", "Tom", "Patel", "Jameson", "Okafor"):
            assert name not in text, name
        # the quote bank's trace table and hover text print the transcript id too
        from qualkit.reports.exports import export_quotes

        for fmt in ("md", "html", "docx"):
            path = export_quotes(p, root / f"quotes.{fmt}", per_theme=0)
            if fmt == "docx":
                import docx

                document = docx.Document(str(path))
                shown = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
                shown += "\n".join(par.text for par in document.paragraphs)
            else:
                shown = path.read_text(encoding="utf-8")
            for name in ("Sarah", "Okafor"):
                assert name not in shown, (fmt, name)
        # one name left unmapped is found again wherever it is printed
        partial = Pseudonyms(
            {k: v for k, v in Pseudonyms.load(root).replacements.items() if k != "Tom"}
        )
        assert [(f.word, f.count) for f in anonymise_check(p, partial)] == [("Tom", 1)]
