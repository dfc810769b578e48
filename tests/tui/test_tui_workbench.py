"""Functional tests: the real workbench app driven by Pilot on a small fictional project."""

from __future__ import annotations

from pathlib import Path

from qualkit.tui.app import CodingScreen, QualkitApp
from qualkit.tui.widgets.transcript_view import TranscriptView
from tui_project import CODEBOOK, make_project

from qualkit.assist.feedback import suggestion_log
from qualkit.project import Project

SIZE = (120, 40)


def open_app(root: Path, coder: str | None = "ana", suggestions: bool = False, **kw):
    project = Project.open(root)
    return project, QualkitApp(project, coder, suggestions=suggestions, cursor_blink=False, **kw)


def view_of(app: QualkitApp) -> TranscriptView:
    return app.screen.query_one(TranscriptView)


def current_id(app: QualkitApp) -> int:
    item = view_of(app).current
    assert item is not None
    return item.segment_id


def my_codes(project: Project, segment_id: int, coder: str = "ana") -> list[str]:
    return project.codes_of(segment_id, coder)


async def test_code_key_applies_code_and_commits(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        sid = current_id(app)
        assert not view_of(app).current.is_interviewer
        await pilot.press("a")
        await pilot.pause()
        # committed at once: a second connection sees it
        with Project.open(study) as other:
            assert other.codes_of(sid, "ana") == ["access"]
        assert view_of(app).current.codes_by("ana") == ["access"]
        assert "coded or reviewed by you 1/" in str(app.screen.query_one("#status").render())


async def test_undo_and_redo(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        sid = current_id(app)
        await pilot.press("i")
        assert my_codes(project, sid) == ["impact"]
        await pilot.press("u")
        assert my_codes(project, sid) == []
        assert view_of(app).current.codes_by("ana") == []
        await pilot.press("ctrl+y")
        assert my_codes(project, sid) == ["impact"]
        await pilot.press("ctrl+z")
        assert my_codes(project, sid) == []


async def test_code_picker_applies_an_existing_code(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        sid = current_id(app)
        await pilot.press("c")
        await pilot.press(*"wait")
        await pilot.press("enter")
        await pilot.pause()
        assert my_codes(project, sid) == ["waiting"]


async def test_code_picker_creates_a_code_keeping_comments(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        sid = current_id(app)
        await pilot.press("c")
        await pilot.press(*"Sleep troubles")
        await pilot.press("enter")
        await pilot.pause()
        text = (study / "codebook.yaml").read_text(encoding="utf-8")
        assert "id: sleep-troubles" in text
        assert "name: Sleep troubles" in text
        assert "# Workbench test codebook (fictional). This comment must survive writes." in text
        assert "# --- the first theme ---" in text
        assert "# stable id, keep it" in text
        assert my_codes(project, sid) == ["sleep-troubles"]
        tree = app.screen.query_one("#codebook")
        assert "sleep-troubles" in tree.nodes


async def test_next_and_previous_uncoded(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = view_of(app)
        first = view.cursor
        await pilot.press("a")  # code the first answer
        await pilot.press("n")
        second = view.cursor
        assert second > first
        assert not view.current.is_interviewer and not view.current.codes_by("ana")
        await pilot.press("a", "n")
        third = view.cursor
        assert third > second
        await pilot.press("p")  # no uncoded answer before: stays
        assert view.cursor == third
        await pilot.press("u")  # undo the second coding: p finds it again
        await pilot.press("p")
        assert view.cursor == second


async def test_moving_with_j_k_and_arrows(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = view_of(app)
        start = view.cursor
        await pilot.press("j", "j", "down")
        assert view.cursor == start + 3
        await pilot.press("k", "up")
        assert view.cursor == start + 1
        await pilot.press("end")
        assert view.cursor == len(view.items) - 1


async def test_remove_star_memo_and_done(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        sid = current_id(app)
        await pilot.press("a", "s")
        assert project.codings("ana")["starred"].tolist() == [True]
        await pilot.press("m")
        await pilot.press(*"first mention")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert project.memo("segment", sid, "ana") == "first mention"
        await pilot.press("x")
        assert my_codes(project, sid) == []
        await pilot.press("d")  # at under 90% coded or reviewed, the workbench asks first
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        row = project.progress("ana").set_index("transcript").loc["p1"]
        assert bool(row["done"])


async def test_remove_asks_which_code_when_several(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        sid = current_id(app)
        await pilot.press("a", "i", "x")
        await pilot.pause()
        await pilot.press(*"impact", "enter")
        await pilot.pause()
        assert my_codes(project, sid) == ["access"]


async def test_blind_mode_hides_other_coders(tmp_path: Path) -> None:
    root = make_project(tmp_path / "blind", blind=True)
    with Project.open(root) as setup:
        first_answer = int(setup.segments("p1").query("not is_interviewer")["segment_id"].iloc[0])
        setup.code(first_answer, "impact", "bo")
    project, app = open_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = view_of(app)
        item = next(s for s in view.items if s.segment_id == first_answer)
        assert item.chips == []
        assert app.screen.everyone.get("impact", 0) == 0
        assert "blind" in str(app.screen.query_one("#status").render())


async def test_not_blind_shows_other_coders(study: Path) -> None:
    with Project.open(study) as setup:
        first_answer = int(setup.segments("p1").query("not is_interviewer")["segment_id"].iloc[0])
        setup.code(first_answer, "impact", "bo")
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        item = next(s for s in view_of(app).items if s.segment_id == first_answer)
        assert [(c.code, c.coder) for c in item.chips] == [("impact", "bo")]
        assert app.screen.everyone["impact"] == 1 and app.screen.mine.get("impact", 0) == 0


async def test_coder_name_is_asked_once_and_remembered(study: Path) -> None:
    project, app = open_app(study, coder=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"ana", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
    assert Project.open(study).remembered_coder == "ana"
    project, app = open_app(study, coder=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen) and app.screen.coder == "ana"


async def test_accepting_a_suggestion_records_provenance(study: Path) -> None:
    project, app = open_app(study, suggestions=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert screen.suggestions, "the hashing embedder gives suggestions"
        expected = screen.suggestions[1].code_id
        sid = current_id(app)
        await pilot.press("2")
        assert expected in my_codes(project, sid)
        log = suggestion_log(project).to_dict("records")
        assert log[-1]["code_id"] == expected and log[-1]["accepted"] == 1
        assert log[-1]["rank"] == 2
        coding = project.codings("ana")
        assert coding["source"].tolist() == ["suggestion"]
        # the list stays, and says which of its codes this segment now has
        await pilot.pause()
        panel = str(screen.query_one("#suggestions").render())
        applied = [line for line in panel.splitlines() if "✓ applied" in line]
        assert len(applied) == 1 and screen._code_label(expected) in applied[0]


async def test_coding_by_key_logs_suggestion_provenance(study: Path) -> None:
    """A code applied by its key counts as an accepted suggestion when it was on the list;
    leaving a segment coded without the first suggestion logs that one as rejected."""
    project, app = open_app(study, suggestions=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        shown = [s.code_id for s in screen.suggestions]
        top = shown[0]
        # Every code is on the list (9 shown, fewer codes): the keyed code that is not first
        # is a suggestion taken by key, not by its number.
        assert {"impact", "access"} <= set(shown)
        key, code = ("i", "impact") if top != "impact" else ("a", "access")
        sid = current_id(app)
        await pilot.press(key)
        await pilot.press("down")
        await pilot.pause()
        log = suggestion_log(project).to_dict("records")
        rejected = [r for r in log if not r["accepted"]]
        assert rejected == [
            {**rejected[0], "segment_id": sid, "code_id": top, "rank": 1, "accepted": 0}
        ]
        accepted = [r for r in log if r["accepted"]]
        assert [(r["code_id"], r["rank"]) for r in accepted] == [(code, shown.index(code) + 1)]
        assert project.codings("ana")["source"].tolist() == ["manual"]


async def test_search_jumps_to_another_transcript(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.press(*"midwives")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.transcript == "s1"
        assert "midwives" in view_of(app).current.text


async def test_search_enter_jumps_to_the_highlighted_hit(study: Path) -> None:
    """Down, Down, Enter jumped to the first hit: Enter searched again and reset the list."""
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"the")
        await pilot.pause(0.3)
        hits = app.screen.query_one("#hits")
        assert hits.option_count >= 3
        wanted = hits.get_option_at_index(2).id
        await pilot.press("down", "down")
        await pilot.pause()
        assert hits.highlighted == 2
        await pilot.press("enter")
        await pilot.pause()
        transcript, sid = wanted.split("\t")
        assert app.screen.transcript == transcript and current_id(app) == int(sid)


async def test_keymap_file_remaps_a_binding(study: Path) -> None:
    (study / ".qualkit" / "keys.toml").write_text('next-uncoded = "ctrl+n"\n')
    from qualkit.tui.bindings import load_keymap

    project, app = open_app(study, keymap=load_keymap(study))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = view_of(app)
        await pilot.press("a")
        before = view.cursor
        await pilot.press("n")  # no longer bound
        assert view.cursor == before
        await pilot.press("ctrl+n")
        assert view.cursor > before


async def test_codebook_edited_into_invalid_yaml_is_reported(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        sid = current_id(app)
        (study / "codebook.yaml").write_text("codes:\n  - id: [broken\n", encoding="utf-8")
        app.screen._watch_codebook()
        await pilot.press("a")  # cannot code while the codebook is invalid: a message, no crash
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("codebook.yaml" in m for m in messages)
        assert my_codes(project, sid) == []
        (study / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
        app.screen._watch_codebook()
        await pilot.press("a")
        assert my_codes(project, sid) == ["access"]


async def test_codebook_editor_adds_and_edits(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+a")
        await pilot.press(*"Sleep", "enter")
        await pilot.pause()
        assert "sleep" in project.codebook
        editor = app.screen
        assert editor.code_id == "sleep"
        editor.query_one("#field-description").value = "Sleep and tiredness."
        editor.query_one("#field-key").value = "z"
        await pilot.press("ctrl+s")
        await pilot.pause()
        code = project.codebook.get("sleep")
        assert code.description == "Sleep and tiredness." and code.key == "z"
        text = (study / "codebook.yaml").read_text()
        assert "# --- the first theme ---" in text
        await pilot.press("escape")
        await pilot.pause()
        sid = current_id(app)
        await pilot.press("z")  # the new key codes at once
        assert my_codes(project, sid) == ["sleep"]
    # Codebook edits made in the workbench are in the audit trail, under the coder's name.
    logged = [(e.coder, e.action) for e in project.events() if e.action.endswith("-code")]
    assert ("ana", "add-code") in logged and ("ana", "update-code") in logged


async def test_codebook_editor_warns_at_once_about_a_workbench_key(study: Path) -> None:
    """A code given the key 'n' (next uncoded) was saved without a word; the warning came only
    back on the coding screen."""
    project, app = open_app(study)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        editor.query_one("#field-key").value = "n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is editor
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert any("'n' is also a workbench key" in m for m in warnings), warnings


async def test_help_and_command_palette(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"apply code impact")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert my_codes(project, current_id(app)) == ["impact"]


async def test_reviewed_mark_counts_and_is_skipped(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = current_id(app)
        await pilot.press("v")
        await pilot.pause()
        assert project.reviewed("ana") == {first}
        assert current_id(app) != first  # moved on to the next segment still to do
        assert "coded or reviewed by you 1/" in str(app.screen.query_one("#status").render())
        await pilot.press("home")
        await pilot.press("n")
        await pilot.pause()
        assert current_id(app) != first  # n skips a reviewed segment
        await pilot.press("u")
        await pilot.pause()
        assert project.reviewed("ana") == set()
        assert "coded or reviewed by you 0/" in str(app.screen.query_one("#status").render())


async def test_transcripts_can_be_grouped_by_another_attribute(study: Path) -> None:
    # a third participant shares P01's service, so service groups people and is offered
    with (study / "transcripts" / "participants.csv").open("a", encoding="utf-8") as f:
        f.write("P03,Parent,psychotherapy\n")
    with Project.open(study) as p:
        p.ingest()
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert {e.group for e in app.screen.entries} >= {"Parent"}
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"group transcripts by service")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        groups = {e.transcript: e.group for e in app.screen.entries}
        assert groups["p1"] == "psychotherapy"
    assert project.remembered("workbench.group_by") == "service"


async def test_escape_cancels_the_suggestion_worker(study: Path, monkeypatch) -> None:
    from qualkit.tui import workers

    from qualkit.assist.embed import Cancelled

    started = []

    def slow_suggest(self, segment_id, top_k, progress, cancel):
        started.append(segment_id)
        progress(0, 100)
        if not cancel.wait(10):
            raise AssertionError("the worker was never cancelled")
        raise Cancelled("embedding cancelled after 0 of 100 new segments")

    monkeypatch.setattr(workers.SuggestionEngine, "suggest", slow_suggest)
    project, app = open_app(study, suggestions=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        while not started:
            await pilot.pause(0.05)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        panel = str(app.screen.query_one("#suggestions").render())
        assert "paused" in panel
        await pilot.press("n")  # moving does not restart the work
        await pilot.pause()
        assert len(started) == 1
        # the UI stayed usable throughout
        await pilot.press("a")
        assert my_codes(project, current_id(app)) == ["access"]


async def test_topic_becomes_a_code(study: Path, monkeypatch) -> None:
    from qualkit.tui.screens import topics as topics_screen

    with Project.open(study) as p:
        ids = p.segments("p1")["segment_id"].tolist()

    def fake_topics(root, progress, cancel, **options):
        return [
            {
                "id": 0,
                "label": "wait, weeks",
                "size": 2,
                "segment_ids": ids[:2],
                "terms": ["wait", "weeks"],
                "nearest_code": "waiting",
            }
        ]

    monkeypatch.setattr(topics_screen, "compute_topics", fake_topics)
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        listing = app.screen.query_one("#topic-list")
        shown = str(listing.get_option_at_index(0).prompt)
        assert "≈ Waiting (2)" in shown, shown  # the code's name, as in the summary
        await pilot.press("c", *"Long waits", "enter")
        await pilot.pause()
        code = project.codebook.get("long-waits")
        assert "wait, weeks" in code.description
        added = next(e for e in project.events() if e.action == "add-code")
        assert added.coder == "ana"  # the coder who made it, not "system"
        await pilot.press("escape")
        await pilot.pause()
        assert "long-waits" in app.screen.query_one("#codebook").nodes


def test_bound_characters_follow_the_keymap() -> None:
    """The characters a code key cannot use are the workbench's bindings, as the user remapped
    them: key names such as "question_mark" and "slash" count as the characters they type."""
    from qualkit.tui.bindings import RESERVED_KEYS, bound_characters

    assert {"j", "n", "u", "?", "/", "1", "9", "q", "g", '"'} <= RESERVED_KEYS
    assert not {"a", "h", "i", "z"} & RESERVED_KEYS  # function keys and ctrl+ never count
    remapped = bound_characters({"undo": "h,ctrl+z", "help": "f1"})
    assert "h" in remapped and "u" not in remapped and "?" not in remapped


async def test_a_code_key_that_clashes_with_a_binding_warns_once_and_the_binding_wins(
    study: Path,
) -> None:
    text = CODEBOOK.replace("    key: i\n", "    key: j\n")  # Impact now clashes with "next"
    (study / "codebook.yaml").write_text(text, encoding="utf-8")
    project, app = open_app(study)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert len(warnings) == 1, warnings
        assert "'j' (Impact)" in warnings[0] and "workbench key wins" in warnings[0]
        view = view_of(app)
        sid = current_id(app)
        await pilot.press("a")  # a code key that clashes with nothing still applies its code
        await pilot.pause()
        assert my_codes(project, sid) == ["access"]
        before = view.cursor
        await pilot.press("j")  # the binding (next segment), not the code
        await pilot.pause()
        assert view.cursor == before + 1
        assert my_codes(project, sid) == ["access"]
        assert project.code_usage("ana").get("impact", 0) == 0
        # A reload of the same codebook does not say it again.
        (study / "codebook.yaml").write_text(text + "# touched\n", encoding="utf-8")
        app.screen._watch_codebook()
        await pilot.pause()
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert len(warnings) == 1, warnings


async def test_a_remapped_binding_frees_its_key_for_a_code(study: Path) -> None:
    text = CODEBOOK.replace("    key: i\n", "    key: j\n")
    (study / "codebook.yaml").write_text(text, encoding="utf-8")
    project, app = open_app(study, keymap={"cursor-down": "down"})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert not [n for n in app._notifications if n.severity == "warning"]
        sid = current_id(app)
        await pilot.press("j")
        await pilot.pause()
        assert my_codes(project, sid) == ["impact"]


async def test_coder_name_prompt_wraps_instead_of_being_cut_off(study: Path) -> None:
    from qualkit.tui.widgets.dialogs import CoderNameScreen

    _, app = open_app(study, coder=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CoderNameScreen)
        screen_text = app.export_screenshot().replace("&#160;", " ")
        assert "remembers it for this" in screen_text


def test_topic_summaries_carry_groups_and_nearest_code() -> None:
    from qualkit.tui.workers import _topic_dict

    from qualkit.assist.topics import Topic

    topic = Topic(
        id=3,
        size=3,
        terms=["crèche", "bus"],
        groups={"Parent": 2, "Stakeholder": 1},
        representatives=[{"segment_id": 9}],
        nearest_code="engagement-practical",
        similarity=0.41,
        segment_ids=[4, 9, 12],
    )
    shown = _topic_dict(topic)
    assert shown["segment_ids"] == [9, 4, 12]  # the representative segment first
    assert shown["groups"] == {"Parent": 2, "Stakeholder": 1}
    assert shown["nearest_code"] == "engagement-practical" and shown["similarity"] == 0.41
    assert "crèche" in shown["label"]


async def test_topics_can_be_limited_to_what_nobody_has_coded(study: Path, monkeypatch) -> None:
    from qualkit.tui.screens import topics as topics_screen

    calls = []

    def fake_topics(root, progress, cancel, **options):
        calls.append(options)
        return []

    monkeypatch.setattr(topics_screen, "compute_topics", fake_topics)
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.screen.query_one("#topics-status").render())
    assert [c["uncoded"] for c in calls] == [False, True]
    assert calls[1]["coder"] is None  # not blind: nobody's codings
    assert "segments nobody has coded" in status


async def test_a_cursor_move_behind_another_screen_waits_for_it_to_close(
    study: Path, monkeypatch
) -> None:
    """The coding screen can move while hidden (the codebook or another window changed it).

    Its suggestion request used to run on the top screen's refresh, and on exit after the
    coding screen had been torn down: a NoMatches traceback. Now it waits for the return.
    """
    from qualkit.tui import workers
    from qualkit.tui.screens import topics as topics_screen

    asked: list[int] = []

    def record_suggest(self, segment_id, limit, progress, cancel):
        asked.append(segment_id)
        return []

    monkeypatch.setattr(workers.SuggestionEngine, "suggest", record_suggest)
    monkeypatch.setattr(topics_screen, "compute_topics", lambda *a, **k: [])
    project, app = open_app(study, suggestions=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        coding, view = app.screen, view_of(app)
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is not coding
        before = list(asked)
        view.move_to(view.find(lambda item: item.coding_unit, 1))
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert asked == before  # nothing asked for a screen nobody sees
        await pilot.press("escape")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is coding
        assert asked[-1] == view.current.segment_id
        await pilot.press("t")
        await pilot.pause()
        view.move_to(view.find(lambda item: item.coding_unit, 1))
        await pilot.pause()
    # leaving the app with the request still owed ends cleanly (run_test re-raises errors)


def test_suggestion_reasons_show_how_strong_the_evidence_is() -> None:
    from qualkit.tui.widgets.panels import describe_reason

    near = {"nearest": {"segment_id": 4, "snippet": "The wait was long", "similarity": 0.62}}
    assert describe_reason(near) == "like #4 (0.62): “The wait was long”"
    field = {"codebook": {"field": "example", "text": "We waited weeks.", "similarity": 0.171}}
    assert describe_reason(field) == "codebook example (0.17): We waited weeks."


async def test_codebook_editor_asks_before_dropping_edits_and_never_selects_on_focus(
    study: Path,
) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert editor.code_id == "access"
        await pilot.press("tab")  # from the tree into Name: the text must not be selected
        await pilot.pause()
        name = editor.query_one("#field-name")
        assert app.focused is name and name.selection.is_empty
        await pilot.press("end", *"!")
        assert name.value == "Access!"  # typed after the name, not over it
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ChoiceScreen"  # asks instead of dropping it
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert app.screen is editor and name.value == "Access!"
        await pilot.press("escape")
        await pilot.pause()
        app.screen.query_one("#choice-save").press()
        await pilot.pause()
        assert project.codebook.get("access").name == "Access!"
        assert isinstance(app.screen, CodingScreen)


async def test_codebook_editor_keeps_the_moved_code_selected(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        await pilot.press("down", "down")  # Waiting
        await pilot.pause()
        assert editor.code_id == "waiting"
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "Waiting" in str(app.screen.query_one("#title").render())  # the name, not id
        await pilot.press(*"impact", "enter")
        await pilot.pause()
        await pilot.pause()
        assert project.codebook.get("waiting").parent == "impact"
        tree = editor.query_one("#editor-tree")
        assert editor.code_id == "waiting" and tree.cursor_node.data == "waiting"


async def test_help_is_built_once_and_reopens(study: Path) -> None:
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        first = app.screen
        assert type(first).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is first  # the same screen, not built again


def test_grouping_offers_only_attributes_that_group_people() -> None:
    from qualkit.tui.model import attribute_names

    people = {
        f"P{i:02}": {
            "pseudonym": f"Name{i}",  # one value per person: no grouping
            "group": "Parent" if i < 6 else "Team member",
            "service": ["Together Time", "One-to-one", ""][i % 3],
            "age": str(20 + i),
        }
        for i in range(9)
    }
    assert attribute_names(people) == ["group", "service"]
    assert attribute_names({"P1": {"group": "Parent"}}) == []  # nobody shares it yet


async def test_code_names_in_brackets_are_shown_as_written(study: Path) -> None:
    """A code named "[bold]humour[/bold] [laughs]" lost its brackets (and turned bold) in the
    "Added code" message, the remove list, the command palette and the editor's dialog titles:
    names are data, never markup."""
    name = "[bold]humour[/bold] [laughs]"
    project, app = open_app(study)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        sid = current_id(app)
        await pilot.press("c", *name, "enter")
        await pilot.pause()
        code_id = project.codes_of(sid, "ana")[0]
        assert project.codebook.get(code_id).name == name
        added = [n for n in app._notifications if "Added code" in n.message]
        assert added and not added[-1].markup and name in added[-1].message
        await pilot.press("a")  # a second code, so remove asks which
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        options = app.screen.query_one("OptionList")
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(name in s for s in shown), shown
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"apply code humour")
        await pilot.pause(0.5)
        palette = app.screen.query_one("CommandList")
        prompts = [palette.get_option_at_index(i).prompt.plain for i in range(palette.option_count)]
        assert f"Apply code: {name}" in prompts, prompts
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        tree = editor.query_one("#editor-tree")
        while editor.code_id != code_id:
            await pilot.press("down")
            await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert f"Move “{name}” under" in str(app.screen.query_one("#title").render())
        assert tree.cursor_node.data == code_id


async def test_chips_wrap_instead_of_running_off_a_narrow_screen(study: Path) -> None:
    """At 80 columns a segment's third chip ran past the edge and was never seen."""
    project, app = open_app(study)
    names = ["Practical barriers to attending", "Trust and the relationship", "Endings"]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        sid = current_id(app)
        for name in names:
            await pilot.press("c", *name, "enter")
            await pilot.pause()
        assert len(project.codes_of(sid, "ana")) == 3
        view = view_of(app)
        lines = [view.render_line(y).text for y in range(view.size.height)]
        cursor = [line for line in lines if line.startswith("▌")]
        shown = " ".join(cursor)
        for name in names:
            assert name in shown, cursor
        assert all(len(line.rstrip()) <= view.size.width for line in cursor)
        item = view.current
        assert item is not None and item.text.split()[0] in shown  # the words follow
        await pilot.press("u", "u")  # fewer chips: one header line again, nothing left over
        await pilot.pause()
        lines = [view.render_line(y).text for y in range(view.size.height)]
        assert not any(names[1] in line for line in lines)


async def test_a_segment_memo_shows_on_its_segment(study: Path) -> None:
    """A memo written with m was stored and exported, but nothing on screen said it was there."""
    project, app = open_app(study)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        sid = current_id(app)
        await pilot.press("m", *"ask about [sleep]", "ctrl+s")
        await pilot.pause()
        assert project.memo("segment", sid, "ana") == "ask about [sleep]"
        view = view_of(app)
        header = next(
            view.render_line(y).text
            for y in range(view.size.height)
            if view.render_line(y).text.startswith("▌")
        )
        assert "✎ memo" in header
    project.close()
    project, app = open_app(study)  # read back from the project in a new window
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert view_of(app).current.memo and current_id(app) == sid
