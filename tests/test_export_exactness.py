"""Quotes are sacred: participants' words, code names and attribute values reach every export
exactly. The Markdown files are rendered with a real CommonMark parser (markdown-it-py) and
their text compared with the original; the workbook is read back with openpyxl and every text
cell must be a string cell holding exactly what was written, never a formula."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from qualkit.project import Project
from qualkit.reports.exports import export_all, export_matrix, export_quotes
from qualkit.reports.render import md_cell, md_escape

markdown_it = pytest.importorskip("markdown_it")

# What participants say, one turn each (fictional). Each must render exactly as written.
WORDS = {
    "P1": "I went to the <inaudible> centre and the <crosstalk> was loud",
    "P2": "It was *really* what I _meant_ to say, __twice__ and **more**",
    "P3": "She said [laughs](aside) and then [team member] rang [again][ref]",
    "P4": "There is a \\ backslash, a `tick` and a ``double`` here \\*",
    "P5": "Fish &amp; chips &#123; &#x41; and & more <b>not bold</b> <http://example.com>",
    "P6": "1. at line start",
    "P7": "# hash at the start and a closing one #",
    "P8": "Café naïve señora 😀 👍🏽 — “curly” ‘quotes’ ~~not struck~~ a|pipe",
    "P9": "[label]: http://example.com and ![an image](pic.png)",
}
# A turn of several lines: each line is a line start inside the block quote.
LINES = ["first line", "2) second", "- dash", "+ plus", "> not a quote", "10. ten", "* star"]
# Lines a transcript never keeps in a turn (a heading or rule ends it), for md_escape alone.
RULES = ["===", "---", "## not a heading", "   # indented", "***", "_ _ _"]

# Code names used as headings and table rows (ids stay simple: the codebook requires it).
CODES = {
    "sub_code": "Sub_code [x](y)",
    "formula": '=HYPERLINK("http://example.com","click")',
    "markup": "*Star* <b>bold</b> `code` & more #",
    "minus": "-minus +plus @at",
}
# Attribute values a spreadsheet would read as formulas, errors or numbers if not told.
GROUPS = {
    "P1": "=1+1",
    "P2": "+SUM(A1:A3)",
    "P3": "-2+3",
    "P4": "@SUM(A1)",
    "P5": "#N/A",
    "P6": "*Parent*_x",
    "P7": "<Parent>",
    "P8": "Élodie's [group](x)",
    "P9": "=1+1",
    "P10": "=1+1",
}
SITES = {p: ("=A1" if i % 2 else "North | South") for i, p in enumerate(GROUPS)}
CODE_OF = {
    "P1": "sub_code",
    "P2": "sub_code",
    "P3": "formula",
    "P4": "formula",
    "P5": "markup",
    "P6": "markup",
    "P7": "minus",
    "P8": "minus",
    "P9": "sub_code",
    "P10": "markup",
}


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if set(text) & set(',"\n') else text


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "exact"
    (root / "transcripts").mkdir(parents=True)
    codebook = ["# Fictional codebook for the exactness tests.", "codes:"]
    for code_id, name in CODES.items():
        codebook += [f"  - id: {code_id}", f"    name: {_yaml_string(name)}"]
    (root / "codebook.yaml").write_text("\n".join(codebook) + "\n", encoding="utf-8")
    (root / "qualkit.yaml").write_text(
        'segmentation: turn\nmin_words: 0\nquote_attribution: "({group})"\n', encoding="utf-8"
    )
    rows = ["participant_id,group,site"]
    rows += [f"{p},{_csv_field(GROUPS[p])},{_csv_field(SITES[p])}" for p in GROUPS]
    (root / "transcripts" / "participants.csv").write_text("\n".join(rows) + "\n", "utf-8")
    turns = [f"S{p[1:]}: {words}" for p, words in WORDS.items()]
    turns.append("S10: " + "\n".join(LINES))
    speakers = "\n".join(f"  S{p[1:]}: {p}" for p in GROUPS)
    transcript = (
        f"---\nid: t1\nspeakers:\n  Interviewer: interviewer\n{speakers}\n---\n"
        "FICTIONAL TRANSCRIPT for qualkit tests.\n\nInterviewer: Tell me.\n\n"
        + "\n\n".join(turns)
        + "\n"
    )
    (root / "transcripts" / "t1.txt").write_text(transcript, encoding="utf-8")
    p = Project.open(root, create=True)
    p.ingest()
    segments = p.segments()
    for participant, code_id in CODE_OF.items():
        hits = segments[segments.participant == participant]
        assert len(hits) == 1, participant
        p.code(int(hits.segment_id.iloc[0]), code_id, "ana")
    yield p
    p.close()


class _Text(HTMLParser):
    """The text of rendered HTML, each element's text, and every tag used."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: set[str] = set()
        self.by_tag: dict[str, list[str]] = {}
        self._open: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._open.append((tag, len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, start = self._open.pop()
            if name == tag:
                self.by_tag.setdefault(tag, []).append("".join(self.parts[start:]).strip())
                break

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def _render(markdown: str) -> _Text:
    parser = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    seen = _Text()
    seen.feed(parser.render(markdown))
    seen.close()
    return seen


BLOCK_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "blockquote", "sub", "br"}
TABLE_TAGS = {"table", "thead", "tbody", "tr", "th", "td"}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_quote_bank_markdown_renders_every_word_exactly(project: Project, tmp_path: Path) -> None:
    raw = export_quotes(project, tmp_path / "q.md", per_theme=0, allow_names=True).read_text(
        "utf-8"
    )
    seen = _render(raw)
    # nothing became a link, emphasis, code, HTML, an image, a list or a rule
    assert seen.tags <= BLOCK_TAGS | TABLE_TAGS, seen.tags - BLOCK_TAGS - TABLE_TAGS
    for participant, words in WORDS.items():
        said = f'"{words}" ({GROUPS[participant]})'
        assert said in seen.text, (said, raw)
    lines = [_one_line(text) for text in seen.by_tag["blockquote"]]
    assert any(line.startswith(_one_line('"' + " ".join(LINES) + '"')) for line in lines), raw
    # code names as headings: exactly the names, in order of the codebook
    assert seen.by_tag["h2"][: len(CODES)] == list(CODES.values())
    # brackets that are no link stay as they are in the raw file, readable
    assert "[team member]" in raw


def test_matrix_markdown_renders_names_and_labels_exactly(project: Project, tmp_path: Path) -> None:
    raw = export_matrix(
        project, tmp_path / "m.md", by=["group", "site"], allow_names=True
    ).read_text("utf-8")
    seen = _render(raw)
    assert seen.tags <= BLOCK_TAGS | TABLE_TAGS | {"em"}, seen.tags
    cells = seen.by_tag["td"] + seen.by_tag["th"]
    for name in CODES.values():
        assert name in cells, (name, raw)
    for group, site in {(GROUPS[p], SITES[p]) for p in GROUPS}:
        assert f"{group} / {site}" in cells, (group, site, raw)
    assert seen.by_tag["h2"] == ["Codes by group × site"]


@pytest.mark.parametrize(
    "text",
    [
        *WORDS.values(),
        *CODES.values(),
        "\n".join(LINES),
        "\n".join(["a line", *RULES]),
        "[team member]",
        "a #",
        "\\",
        "]:",
        "&",
        "&&amp;",
        "a\n[label]: /u",
    ],
)
def test_one_escape_renders_as_the_text_itself(text: str) -> None:
    seen = _render(md_escape(text))
    assert seen.tags <= {"p", "h1", "h2"} and seen.text == _one_line(text)
    table = _render(f"| a |\n| --- |\n| {md_cell(text)} |\n")
    assert table.by_tag["td"] == [_one_line(text)]


def test_plain_brackets_stay_readable() -> None:
    assert md_escape("[team member] and [laughs]") == "[team member] and [laughs]"
    assert md_escape("[laughs](aside)") == "[laughs\\](aside)"


def _text_cells(path: Path) -> list[tuple[str, object, str]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path).active
    return [
        (cell.coordinate, cell.value, cell.data_type)
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


@pytest.mark.parametrize("how", ["matrix", "all"])
def test_workbook_text_cells_are_strings_never_formulas(
    project: Project, tmp_path: Path, how: str
) -> None:
    if how == "matrix":
        path = export_matrix(project, tmp_path / "m.xlsx", by=["group", "site"], allow_names=True)
    else:
        done = export_all(
            project, folder=tmp_path / "exports", by=["group", "site"], allow_names=True
        )
        path = next(p for p in done.written if p.name == "matrix.xlsx")
    cells = _text_cells(path)
    texts = {value for _, value, _ in cells if isinstance(value, str)}
    expected = set(CODES.values()) | set(GROUPS.values()) | set(SITES.values()) | set(CODES)
    assert expected <= texts, expected - texts
    for coordinate, value, data_type in cells:
        if isinstance(value, str):
            assert data_type == "s", (coordinate, value, data_type)
        else:
            assert isinstance(value, int | float) and data_type == "n", (coordinate, value)
    numbers = [value for _, value, _ in cells if not isinstance(value, str)]
    assert numbers and all(isinstance(v, int | float) for v in numbers)
