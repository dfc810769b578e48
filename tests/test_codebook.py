"""Codebook: validation messages name the right line; edits keep comments; saves are atomic."""

from __future__ import annotations

import difflib
import os
import shutil
import time
from pathlib import Path

import pytest

from qualkit.codebook import Codebook, slugify
from qualkit.errors import CodebookError

FIXTURES = Path(__file__).parent / "fixtures" / "codebooks"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "codebook.yaml"
    shutil.copy(FIXTURES / "demo.yaml", path)
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(CodebookError) as info:
        Codebook.load(write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    return message


def comment_lines(text: str) -> list[str]:
    """Every comment in a YAML text (full-line and end-of-line), stripped."""
    out = []
    for line in text.splitlines():
        if "#" in line:
            hash_at = line.index(" #") + 1 if " #" in line else line.index("#")
            if line.lstrip().startswith("#"):
                hash_at = line.index("#")
            if line[:hash_at].count('"') % 2 == 0:
                out.append(line[hash_at:].strip())
    return out


def diff(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines)."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


# ---- loading -------------------------------------------------------------------------------


def test_demo_loads_in_file_order_with_tree(demo: Path) -> None:
    cb = Codebook.load(demo)
    assert list(cb.codes) == [
        "engagement",
        "engagement-barriers",
        "engagement-facilitators",
        "relationships",
        "trust",
        "referral-experience",
        "other",
    ]
    eng = cb.get("engagement")
    assert eng.children == ["engagement-barriers", "engagement-facilitators"]
    assert eng.line == 5
    assert eng.key == "g" and eng.color == "#4e79a7"
    assert eng.examples == ["We only went because the health visitor came with us."]
    assert cb.get("relationships").color == "#f28e2b"  # named colour, normalised
    assert cb.get("trust").description.startswith("Feeling believed")
    assert cb.get("trust").description.endswith("continuity of worker.")
    assert [c.id for c in cb.roots()] == ["engagement", "relationships", "other"]
    assert cb.ancestors("engagement-barriers") == ["engagement"]
    assert cb.ancestors("engagement") == []
    assert cb.descendants("relationships") == ["trust", "referral-experience"]
    assert cb.theme_of("trust") == "relationships"
    assert cb.theme_of("other") == "other"
    assert cb.by_key("f").id == "engagement-facilitators"
    assert cb.by_key("z") is None
    assert "trust" in cb and "nope" not in cb
    assert cb.get("referral-experience").parent == "relationships"
    assert cb.dirty  # the derived id still has to be written


def test_get_unknown_code(demo: Path) -> None:
    cb = Codebook.load(demo)
    with pytest.raises(CodebookError, match=r"codebook.yaml: unknown code 'trusts'.*'trust'"):
        cb.get("trusts")


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "codes:\n", "codes: []\n"])
def test_empty_codebooks(tmp_path: Path, text: str) -> None:
    assert len(Codebook.load(write(tmp_path, text))) == 0


def test_scalars_are_text(tmp_path: Path) -> None:
    cb = Codebook.load(write(tmp_path, "codes:\n  - name: 2019\n  - name: yes\n    key: 0\n"))
    assert [c.name for c in cb] == ["2019", "yes"]
    assert cb.get("yes").key == "0"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="codebook.yaml: file not found"):
        Codebook.load(tmp_path / "codebook.yaml")


def test_not_utf8_names_line(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_bytes(b"codes:\n  - name: Caf\xe9\n")
    with pytest.raises(CodebookError, match=r"^codebook.yaml:2: not UTF-8"):
        Codebook.load(path)


# ---- validation errors name the line ---------------------------------------------------------

ERRORS = [
    ("codes:\n  - name: A\n    description: [unclosed\n  - name: B\n", 4, "YAML syntax error"),
    ("codes:\n\t- name: A\n", 2, "not tabs"),
    ("- name: A\n", 1, "top level must be a mapping with a 'codes:' list"),
    ("title: x\ncodes: []\n", 1, "unknown top-level key 'title'"),
    ("code:\n  - name: A\n", 1, "did you mean 'codes'"),
    ("codes:\n  name: A\n", 2, "'codes:' must be a list"),
    ("codes:\n  - name: A\n  - Engagement\n", 3, "code entry must be a mapping"),
    ("codes:\n  - id: a\n    description: x\n", 2, "code has no name"),
    ("codes:\n  - id: a\n    name: ''\n", 3, "code has no name"),
    ("codes:\n  - id: a\n    name:\n", 3, "code has no name"),
    (
        "codes:\n  - name: A\n    id: referral\n  - name: B\n    children:\n"
        "      - name: C\n        id: referral\n",
        7,
        "duplicate code id 'referral' (first defined at line 3)",
    ),
    ("codes:\n  - name: A\n    id: Engagement\n", 3, "bad code id 'Engagement'"),
    ("codes:\n  - name: A\n    id: -a\n", 3, "bad code id '-a'"),
    ("codes:\n  - name: A\n    color: '#12345'\n", 3, "color '#12345' is not #rgb"),
    ("codes:\n  - name: A\n    color: mauve\n", 3, "color 'mauve'"),
    (
        "codes:\n  - name: A\n    key: g\n  - name: B\n    key: g\n",
        5,
        "duplicate key 'g' (already used by 'a' at line 3)",
    ),
    ("codes:\n  - name: A\n    key: gg\n", 3, "key 'gg' must be a single character"),
    (
        "codes:\n  - name: A\n    descripton: oops\n",
        3,
        "unknown field 'descripton' (allowed: id, name, description",
    ),
    ("codes:\n  - name: A\n    descripton: oops\n", 3, "(did you mean 'description'?)"),
    ("codes:\n  - name: A\n    children: B\n", 3, "'children:' must be a list"),
    ("codes:\n  - name: A\n    examples: just one\n", 3, "'examples' must be a list of strings"),
    ("codes:\n  - name: A\n    examples:\n      - q: x\n", 4, "each example must be a string"),
    ("codes:\n  - name: A\n    description:\n      - x\n", 3, "'description' must be text"),
    ("codes:\n  - name: A\n    name: B\n", 3, "field 'name' given twice (first at line 2)"),
    ("codes:\n  - name: [A]\n", 2, "must be text, not a list"),
]


@pytest.mark.parametrize(("text", "line", "fragment"), ERRORS)
def test_validation_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    message = load_error(tmp_path, text)
    assert message.startswith(f"codebook.yaml:{line}: "), message
    assert fragment in message


# Keys the workbench binds by default: the codebook does not know the workbench's keymap, so it
# takes them; the workbench warns about a clash and its binding wins (tests/tui).
@pytest.mark.parametrize("key", ["j", "n", "u", "?", "/", "1", "q"])
def test_any_single_character_key_is_accepted(tmp_path: Path, key: str) -> None:
    text = f"codes:\n  - name: A\n    key: '{key}'\n  - name: B\n"
    cb = Codebook.load(write(tmp_path, text))
    assert cb.get("a").key == key
    cb.update("a", key=None)
    cb.update("b", key=key)  # an edit is held to the same rule as the file
    cb.save()
    assert Codebook.load(cb.path).get("b").key == key


@pytest.mark.parametrize("key", ["jk", "\t", " "])
def test_a_key_must_be_one_printable_character(tmp_path: Path, key: str) -> None:
    message = load_error(tmp_path, f'codes:\n  - name: A\n    key: "{key}"\n')
    assert message.startswith("codebook.yaml:3: ") and "key" in message


def test_named_and_short_colours(tmp_path: Path) -> None:
    text = "codes:\n  - name: A\n    color: '#ABC'\n  - name: B\n    color: Grey\n"
    cb = Codebook.load(write(tmp_path, text))
    assert cb.get("a").color == "#aabbcc"
    assert cb.get("b").color == "#bab0ac"


# ---- slugs and ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Engagement", "engagement"),
        ("Barriers to engagement", "barriers-to-engagement"),
        ("  Café / Ünïcode!! ", "cafe-unicode"),
        ("GP & A&E visits", "gp-a-e-visits"),
        ("家庭", "code"),
        ("2nd wave", "2nd-wave"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_long_names_give_short_slugs() -> None:
    slug = slugify("A very long name for a code that somebody typed in one breath " * 2)
    assert len(slug) <= 48 and not slug.endswith("-")


def test_derived_ids_avoid_explicit_ids_anywhere(tmp_path: Path) -> None:
    text = "codes:\n  - name: Referral\n  - name: Referral\n  - name: Other\n    id: referral\n"
    cb = Codebook.load(write(tmp_path, text))
    assert list(cb.codes) == ["referral-2", "referral-3", "referral"]


def test_derived_ids_are_written_on_save(demo: Path) -> None:
    cb = Codebook.load(demo)
    before = demo.read_text()
    cb.save()
    after = demo.read_text()
    removed, added = diff(before, after)
    assert removed == ["      - name: Referral experience   # no id yet: derived from the name"]
    assert added == [
        "      - id: referral-experience",
        "        name: Referral experience   # no id yet: derived from the name",
    ]
    assert "  name: Referral experience   # no id yet: derived from the name" in after
    assert not Codebook.load(demo).dirty


def test_rename_keeps_id(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.save()
    before = demo.read_text()
    cb.rename("trust", "Trust in services")
    cb.save()
    after = demo.read_text()
    assert Codebook.load(demo).get("trust").name == "Trust in services"
    removed, added = diff(before, after)
    assert removed == ["        name: Trust"]
    assert added == ["        name: Trust in services"]


def test_rename_keeps_quote_style(demo: Path) -> None:
    text = "codes:\n  - id: a\n    name: 'Old'   # keep me\n"
    path = write(demo.parent, text)
    cb = Codebook.load(path)
    cb.rename("a", "New")
    cb.save()
    assert path.read_text() == "codes:\n  - id: a\n    name: 'New'   # keep me\n"


# ---- edits keep comments -------------------------------------------------------------------


def test_save_without_edits_is_byte_identical(tmp_path: Path) -> None:
    text = (
        (FIXTURES / "demo.yaml")
        .read_text()
        .replace(
            "      - name: Referral experience",
            "      - id: referral\n        name: Referral experience",
        )
    )
    path = write(tmp_path, text)
    cb = Codebook.load(path)
    assert not cb.dirty
    cb.update("other", description="Anything else")  # forces the round-trip writer
    cb.update("other", description=None)
    cb.save()
    assert path.read_text() == text


def test_add_only_adds_lines(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.save()
    before = demo.read_text()
    code = cb.add("Cost of travel", parent="engagement-barriers", key="z", description="Money.")
    assert code.id == "cost-of-travel" and code.parent == "engagement-barriers"
    top = cb.add("Other")  # slug clash
    assert top.id == "other-2" and top.parent is None
    cb.add("Yes", parent="other", examples=["2019", "It's fine: really"])
    cb.save()
    after = demo.read_text()
    removed, added = diff(before, after)
    assert removed == []
    reloaded = Codebook.load(demo)
    assert reloaded.get("cost-of-travel").key == "z"
    assert reloaded.get("engagement-barriers").children == ["cost-of-travel"]
    assert list(reloaded.codes)[-1] == "other-2"
    assert reloaded.get("yes").parent == "other"
    assert reloaded.get("yes").name == "Yes"
    assert reloaded.get("yes").examples == ["2019", "It's fine: really"]
    assert comment_lines(after) == comment_lines(before)
    # The comment closing the file stays last: new codes go above it.
    assert after.rstrip().endswith("# end of codebook")
    # Quoted so that other YAML readers see text, not a boolean.
    assert 'name: "Yes"' in after


def test_update_sets_and_removes_fields(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.update("other", description="Anything else", color="#abc", key="o", examples=["a"])
    cb.update("engagement", include=None, key="")
    cb.save()
    reloaded = Codebook.load(demo)
    other = reloaded.get("other")
    assert (other.description, other.color, other.key, other.examples) == (
        "Anything else",
        "#aabbcc",
        "o",
        ["a"],
    )
    assert reloaded.get("engagement").include == ""
    assert reloaded.get("engagement").key is None
    text = demo.read_text()
    # Canonical field order for new fields.
    block = text[text.index("  - id: other") :]
    assert block.index("description") < block.index("examples") < block.index("color")
    assert block.index("color") < block.index("key")
    assert comment_lines(text) == comment_lines((FIXTURES / "demo.yaml").read_text())


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"color": "nope"}, "color 'nope'"),
        ({"key": "f"}, "key 'f' is already used by 'engagement-facilitators'"),
        ({"key": "ab"}, "single character"),
        ({"examples": "one"}, "list of strings"),
        ({"descripton": "x"}, "did you mean 'description'"),
        ({"name": ""}, "needs a name"),
    ],
)
def test_update_validates(demo: Path, fields: dict, fragment: str) -> None:
    cb = Codebook.load(demo)
    with pytest.raises(CodebookError, match="codebook.yaml: ") as info:
        cb.update("other", **fields)
    assert fragment in str(info.value)
    assert cb.get("other").key is None


def test_add_validates(demo: Path) -> None:
    cb = Codebook.load(demo)
    with pytest.raises(CodebookError, match="already exists"):
        cb.add("Trust again", id="trust")
    with pytest.raises(CodebookError, match="bad code id"):
        cb.add("X", id="Bad Id")
    with pytest.raises(CodebookError, match="unknown code 'nope'"):
        cb.add("X", parent="nope")
    with pytest.raises(CodebookError, match="needs a name"):
        cb.add("  ")
    assert len(cb) == 7


def test_move_carries_its_comment(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.move("relationships", "engagement", 0)
    cb.save()
    text = demo.read_text()
    reloaded = Codebook.load(demo)
    assert reloaded.get("engagement").children[0] == "relationships"
    assert reloaded.descendants("relationships") == ["trust", "referral-experience"]
    assert reloaded.theme_of("trust") == "engagement"
    # The comment above "relationships" went with it, re-indented; the one above
    # "other" stayed above "other".
    assert "      # Relationships with staff\n      - id: relationships" in text
    assert "  # Things to revisit at the team meeting\n  - id: other" in text
    assert sorted(comment_lines(text)) == sorted(
        comment_lines((FIXTURES / "demo.yaml").read_text())
    )


def test_move_to_top_level_and_refusals(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.move("trust", None)
    assert cb.get("trust").parent is None
    assert [c.id for c in cb.roots()][-1] == "trust"
    with pytest.raises(CodebookError, match="under itself"):
        cb.move("engagement", "engagement-barriers")
    with pytest.raises(CodebookError, match="under itself"):
        cb.move("engagement", "engagement")
    cb.move("engagement-barriers", "relationships", 1)
    assert cb.get("relationships").children[1] == "engagement-barriers"
    cb.save()
    assert Codebook.load(demo).get("engagement").children == ["engagement-facilitators"]


def test_merge_moves_children_and_examples(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.merge("engagement", "relationships")
    cb.save()
    text = demo.read_text()
    reloaded = Codebook.load(demo)
    assert "engagement" not in reloaded
    rel = reloaded.get("relationships")
    assert rel.children == [
        "trust",
        "referral-experience",
        "engagement-barriers",
        "engagement-facilitators",
    ]
    assert rel.examples == ["We only went because the health visitor came with us."]
    # The example kept its quotes and its comment; every other comment is still there (the
    # end-of-line comment on the removed entry's own id line goes with it).
    assert '"We only went because the health visitor came with us."   # P03' in text
    assert sorted(comment_lines(text)) == sorted(
        c for c in comment_lines((FIXTURES / "demo.yaml").read_text()) if "stable slug" not in c
    )
    with pytest.raises(CodebookError, match="into itself"):
        cb.merge("trust", "trust")
    with pytest.raises(CodebookError, match="own sub-code"):
        cb.merge("relationships", "trust")


def test_delete_moves_children_up(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.delete("engagement")
    cb.save()
    text = demo.read_text()
    reloaded = Codebook.load(demo)
    assert [c.id for c in reloaded.roots()] == [
        "engagement-barriers",
        "engagement-facilitators",
        "relationships",
        "other",
    ]
    assert reloaded.get("engagement-facilitators").key == "f"
    assert sorted(comment_lines(text)) >= sorted(
        c
        for c in comment_lines((FIXTURES / "demo.yaml").read_text())
        if "stable slug" not in c and "P03" not in c  # end-of-line comments of the code gone
    )


def test_delete_leaf_and_last_child(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.delete("trust")
    cb.delete("referral-experience")
    cb.save()
    reloaded = Codebook.load(demo)
    assert reloaded.get("relationships").children == []
    assert "children" not in demo.read_text().split("- id: relationships")[1].split("- id:")[0]
    assert "# Things to revisit at the team meeting" in demo.read_text()


def test_edit_sequence_reloads_cleanly(demo: Path) -> None:
    cb = Codebook.load(demo)
    cb.add("New theme", color="green")
    cb.add("Sub", parent="new-theme")
    cb.move("other", "new-theme", 0)
    cb.rename("new-theme", "Renamed theme")
    cb.merge("sub", "other")
    cb.delete("relationships")
    cb.save()
    reloaded = Codebook.load(demo)
    assert list(reloaded.codes) == list(cb.codes)
    assert reloaded.get("new-theme").name == "Renamed theme"
    assert reloaded.get("new-theme").children == ["other"]
    assert reloaded.get("trust").parent is None
    for line in comment_lines((FIXTURES / "demo.yaml").read_text()):
        if "stable slug" in line or "P03" in line or "no id yet" in line:
            continue
        assert line in demo.read_text()


# ---- saving --------------------------------------------------------------------------------


def test_invalid_state_is_not_written(demo: Path) -> None:
    cb = Codebook.load(demo)
    before = demo.read_bytes()
    doc = cb._ensure_doc()
    doc["codes"][0]["color"] = "not-a-colour"  # bypass the edit API to break the document
    with pytest.raises(CodebookError, match=r"^codebook.yaml:\d+: color 'not-a-colour'"):
        cb.save()
    assert demo.read_bytes() == before
    assert [p.name for p in demo.parent.iterdir()] == ["codebook.yaml"]  # no temp file left


def test_save_refuses_to_clobber_hand_edits(demo: Path) -> None:
    cb = Codebook.load(demo)
    assert not cb.changed_on_disk()
    os.utime(demo, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    assert not cb.changed_on_disk()  # touched, same bytes
    demo.write_text(demo.read_text() + "  - name: Added by hand\n")
    assert cb.changed_on_disk()
    cb.add("From qualkit")
    with pytest.raises(CodebookError, match="changed on disk"):
        cb.save()
    cb.save(force=True)
    assert not cb.changed_on_disk()
    assert "from-qualkit" in Codebook.load(demo)


def test_save_keeps_crlf_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_bytes(b"# hi\r\ncodes:\r\n  - name: A\r\n")
    path.chmod(0o640)
    cb = Codebook.load(path)
    cb.add("B")
    cb.save()
    assert (
        path.read_bytes()
        == b"# hi\r\ncodes:\r\n  - id: a\r\n    name: A\r\n  - id: b\r\n    name: B\r\n"
    )
    assert path.stat().st_mode & 0o777 == 0o640


def test_template_is_an_empty_codebook_that_accepts_codes(tmp_path: Path) -> None:
    path = Codebook.write_template(tmp_path / "codebook.yaml")
    cb = Codebook.load(path)
    assert len(cb) == 0
    cb.add("Engagement", key="g")
    cb.add("Barriers", parent="engagement")
    cb.save()
    text = path.read_text()
    assert text.startswith(Codebook.empty_template().split("codes:")[0])
    assert "codes:\n  - id: engagement\n    name: Engagement\n    key: g\n    children:\n" in text
    assert Codebook.load(path).get("barriers").parent == "engagement"
    with pytest.raises(CodebookError, match="already exists"):
        Codebook.write_template(path)


def test_to_dataframe(demo: Path) -> None:
    df = Codebook.load(demo).to_dataframe()
    assert list(df.columns) == [
        "id",
        "name",
        "parent",
        "theme",
        "depth",
        "description",
        "include",
        "exclude",
        "key",
        "color",
    ]
    row = df.set_index("id").loc["trust"]
    assert (row["parent"], row["theme"], row["depth"]) == ("relationships", "relationships", 1)


def test_500_codes_load_with_their_hierarchy(tmp_path: Path) -> None:
    # How fast this loads is measured in bench/, never asserted here (no wall-clock asserts).
    lines = ["# big codebook", "codes:"]
    for i in range(100):
        lines += [
            f"  - id: theme-{i}",
            f"    name: Theme {i}",
            "    description: About it.",
            "    children:",
        ]
        for j in range(4):
            lines += [
                f"      - id: c-{i}-{j}",
                f"        name: Code {i} {j}   # note",
                "        description: What this means in a sentence.",
                "        examples:",
                '          - "quote one"',
            ]
    path = write(tmp_path, "\n".join(lines) + "\n")
    book = Codebook.load(path)
    assert len(book) == 500
    assert [c.id for c in book.roots()] == [f"theme-{i}" for i in range(100)]
    assert book.get("theme-99").children == [f"c-99-{j}" for j in range(4)]
    assert book.get("c-42-3").name == "Code 42 3"  # the trailing comment is not the name
    assert book.theme_of("c-42-3") == "theme-42"
