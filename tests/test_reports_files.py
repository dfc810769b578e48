"""The export files as a report author opens them: Word reopened with python-docx, the
workbook read back with openpyxl, HTML and Markdown, project templates, the CLI, and the HTML
in headless Chromium when it is installed."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from projects import REPO, qualkit
from report_project import coded_report_project

from qualkit.project import Project
from qualkit.reports.exports import export_all, export_matrix, export_quotes
from qualkit.reports.shading import shade

TRIMMED = "/.../ [team member] called me every week after that, even when I missed a session."
BABY = "I hold [my baby] differently now, I notice when she wants to be close to me."


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = coded_report_project(tmp_path / "study")
    yield p
    p.close()


def test_word_file_has_heading_and_quote_styles_and_an_appendix(
    project: Project, tmp_path: Path
) -> None:
    import docx

    out = export_quotes(project, tmp_path / "quotes.docx")
    document = docx.Document(str(out))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "Access") in styled and ("Heading 2", "Referral") in styled
    quotes = [text for style, text in styled if style == "Quote"]
    assert quotes[0] == f'"{TRIMMED}" (Parent, Together Time) Q1'
    assert f'"{BABY}" (Parent, Together Time)' in "\n".join(quotes)
    table = document.tables[-1]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["quote", "transcript", "turn", "segment", "coder"]
    assert len(table.rows) == 1 + len(quotes)
    first = [c.text for c in table.rows[1].cells]
    assert first[0] == "Q1" and first[1] == "t1" and first[4] == "ana"


def test_workbook_has_values_shading_and_frozen_headers(project: Project, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = export_matrix(project, tmp_path / "m.xlsx", by=["group", "service"])
    sheet = load_workbook(out).active
    assert sheet["A2"].value == "code" and sheet["C2"].value == "Parent"
    assert sheet["C3"].value == "Baby Steps" and sheet["D3"].value == "Together Time"
    assert [sheet.cell(row=4, column=c).value for c in range(2, 8)] == [
        "participants (n)",
        1,
        2,
        2,
        1,
        6,
    ]
    access = [sheet.cell(row=5, column=c).value for c in range(1, 8)]
    assert access == ["access", "Access", 0, 2, 1, 1, 4]
    assert sheet.freeze_panes == "C5"
    fill = sheet["D5"].fill.fgColor.rgb  # 2 of a top value of 2: the darkest class
    assert fill.endswith(shade(2, 2)[0].upper())
    assert sheet["C5"].fill.fgColor.rgb.endswith(shade(0, 2)[0].upper())
    assert "layer ana" in sheet.cell(row=11, column=1).value


def test_matrix_csv_starts_with_code_id_then_name_and_denominators(
    project: Project, tmp_path: Path
) -> None:
    out = export_matrix(project, tmp_path / "m.csv", by="group", measure="segments")
    lines = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["code", "name", "Parent", "Stakeholder", "Team member", "Total"]
    assert lines[1] == ["", "participants (n)", "3", "2", "1", "6"]
    assert lines[2] == ["access", "Access", "3", "1", "1", "5"]
    assert lines[-1][0] == "#" and "layer ana" in lines[-1][1]


def test_html_is_escaped_and_traceable(project: Project, tmp_path: Path) -> None:
    ids = {int(r.segment_id): r.text for r in project.segments().itertuples()}
    sid = next(s for s, text in ids.items() if text.startswith("Most referrals"))
    project.code(sid, "bonding", "ana")  # so that the quote below is in the bank
    html = export_quotes(project, tmp_path / "q.html").read_text("utf-8")
    assert "[team member] called me every week" in html and "[my baby]" in html
    assert 'data-segment="' in html and 'data-transcript="t1"' in html
    assert 'title="Q1: t1, turn' in html and "coded by ana" in html
    matrix = export_matrix(project, tmp_path / "m.html", by="group").read_text("utf-8")
    assert "@page" in matrix and "A4" in matrix and "participants (n)" in matrix


def test_markdown_keeps_brackets_and_has_an_appendix(project: Project, tmp_path: Path) -> None:
    md = export_quotes(project, tmp_path / "q.md").read_text("utf-8")
    assert f'> "{TRIMMED}" (Parent, Together Time)' in md
    assert "## Appendix: where each quote comes from" in md
    assert "| Q1 | t1 |" in md
    matrix = export_matrix(project, tmp_path / "m.md", by="group").read_text("utf-8")
    assert "| access | Access | 2 | 1 | 1 | 4 |" in matrix


def test_a_project_template_overrides_the_bundled_one(project: Project, tmp_path: Path) -> None:
    folder = project.root / "templates"
    folder.mkdir()
    (folder / "quotes.md.j2").write_text(
        "{% for q in bank.quotes %}{{ q.number }}. {{ q.display }} {{ q.attribution }}\n"
        "{% endfor %}",
        encoding="utf-8",
    )
    md = export_quotes(project, tmp_path / "q.md").read_text("utf-8")
    assert md.startswith(f"1. {TRIMMED} (Parent, Together Time)\n")
    (folder / "quotes.html.j2").write_text("{{ bank.quotes[0].words }}", encoding="utf-8")
    html = export_quotes(project, tmp_path / "q.html").read_text("utf-8")
    project.trim_quote(project.codings("ana").segment_id.iloc[0], "referral", "ana", None)
    assert "&lt;" not in html and html.startswith("[team member]")
    (folder / "quotes.md.j2").write_text("{% for q in bank.quotes %}\n", encoding="utf-8")
    from qualkit.errors import ReportError

    with pytest.raises(ReportError, match=r"quotes.md.j2:\d+: template error"):
        export_quotes(project, tmp_path / "q.md")


def test_export_all_writes_every_file(project: Project) -> None:
    done = export_all(project)
    names = sorted(p.name for p in done.written)
    assert names == [
        "codings.csv",
        "matrix.csv",
        "matrix.html",
        "matrix.xlsx",
        "quotes.docx",
        "quotes.html",
        "quotes.md",
    ]
    assert done.skipped == ["agreement table: fewer than two coders"]
    assert all(p.parent == project.root / "exports" and p.stat().st_size for p in done.written)
    # exports are for sharing: readable like any new file of the user's, not private temp files
    umask = os.umask(0)
    os.umask(umask)
    assert {p.stat().st_mode & 0o777 for p in done.written} == {0o666 & ~umask}


def test_cli_exports_and_errors(tmp_path: Path) -> None:
    root = tmp_path / "study"
    coded_report_project(root, pseudonyms=False).close()
    refused = qualkit("export", "matrix", "--by", "group", cwd=root)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("error: export refused:")
    check = qualkit("anonymise", "check", cwd=root)
    assert (
        check.returncode == 1 and "Rosa" in check.stdout and "first: speaker label" in check.stdout
    )
    ok = qualkit("export", "quotes", "--format", "html", "--allow-names", cwd=root)
    assert ok.returncode == 0, ok.stderr
    assert (root / "exports" / "quotes.html").exists()
    for args in (
        ["export", "matrix", "--by", "grop", "--allow-names"],
        ["export", "matrix", "--measure", "people", "--allow-names"],
        ["export", "matrix", "--format", "pdf", "--allow-names"],
        ["export", "quotes", "--layer", "bob", "--allow-names"],
        ["export", "quotes", "--theme", "nope", "--allow-names"],
    ):
        proc = qualkit(*args, cwd=root)
        assert proc.returncode == 1, (args, proc.stderr)
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
        assert "Traceback" not in proc.stderr
    usage = qualkit("export", "quotes", "--per-theme", "many", cwd=root)
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1
    every = qualkit("export", "all", "--allow-names", cwd=root)
    assert every.returncode == 0, every.stderr
    assert "wrote" in every.stdout and "quotes.docx" in every.stdout


def test_templates_and_word_list_are_packaged() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["qualkit.reports"]
    folder = REPO / "qualkit" / "reports"
    data = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert data, "no template files found"
    for path in data:
        relative = path.relative_to(folder)
        assert any(relative.match(pattern) for pattern in patterns), f"{relative} not shipped"


CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_html_exports_in_headless_chromium(project: Project, tmp_path: Path) -> None:
    quotes = export_quotes(project, tmp_path / "quotes.html")
    matrix = export_matrix(project, tmp_path / "matrix.html", by=["group", "service"])
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ]

    def dump(page: Path) -> str:
        proc = subprocess.run(
            [*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    dom = dump(quotes)
    assert TRIMMED in dom and BABY in dom  # brackets intact after the browser parsed it
    assert "(Parent, Together Time)" in dom
    dom = dump(matrix)
    assert '<td class="name theme" style="padding-left: 6px">Access</td>' in dom
    assert "Together Time" in dom and "participants (n)" in dom

    shot = tmp_path / "matrix.png"
    proc = subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1200,800", matrix.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    pixels = png_pixels(shot.read_bytes())
    assert len(pixels) > 20  # text and shaded cells, not a blank page
    expected = tuple(int(shade(2, 2)[0][i : i + 2], 16) for i in (0, 2, 4))
    assert expected in pixels  # the darkest cell is drawn


def png_pixels(data: bytes) -> set[tuple[int, int, int]]:
    """The distinct RGB colours of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    found: set[tuple[int, int, int]] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                best = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + best) & 0xFF
        previous = line
        if row % 4 == 0:  # every fourth row is plenty to see what is drawn
            for x in range(0, stride, channels * 2):
                found.add((line[x], line[x + 1], line[x + 2]))
    return found
