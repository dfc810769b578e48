"""CLI commands for embeddings, code suggestions, their evaluation, and topics.

Registered on the main app by qualkit.cli (``register(app)``). Heavy libraries are imported
inside the commands, so ``qualkit --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="Project folder.", show_default="current folder")
]


def _open(path: Path) -> Any:
    # imported here: qualkit.cli imports this module while it registers its commands
    from qualkit.cli import open_project

    return open_project(path)


@contextmanager
def _progress_bar(label: str):
    """A rich progress bar on stderr (only on a terminal); yields a (done, total) callback."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


def _coder(p: Any, coder: str | None) -> str | None:
    if coder:
        return coder
    remembered = getattr(p, "remembered_coder", None)
    return remembered() if callable(remembered) else None


def register(app: typer.Typer) -> None:
    eval_app = typer.Typer(
        help="Measure how good qualkit's helpers are on your own coding.", no_args_is_help=True
    )
    topics_app = typer.Typer(help="Topic clusters over the segments (BERTopic, offline).")
    app.add_typer(eval_app, name="eval")
    app.add_typer(topics_app, name="topics")

    @app.command()
    def embed(project: ProjectOption = Path(".")) -> None:
        """Compute (or refresh) the embedding cache for every segment; nothing is embedded twice."""
        from qualkit.assist.embed import embed_segments, embedder_for

        p = _open(project)
        emb = embedder_for(p)
        segs = p.segments(include_interviewer=True)
        with _progress_bar("embedding") as progress:
            _, new = embed_segments(p, emb, progress=progress, segments=segs)
        typer.echo(
            f"{len(segs)} segments, {new} newly embedded, {len(segs) - new} from cache "
            f"(model {emb.model_id})"
        )

    @app.command()
    def suggest(
        project: ProjectOption = Path("."),
        coder: Annotated[str | None, typer.Option("--coder", help="Coder name.")] = None,
        top: Annotated[int, typer.Option("--top", "-k", help="Suggestions per segment.")] = 3,
        all_segments: Annotated[
            bool, typer.Option("--all", help="All segments, not only the coder's uncoded ones.")
        ] = False,
        level: Annotated[str, typer.Option("--level", help="code or theme.")] = "code",
        as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    ) -> None:
        """Suggest codes for the coder's uncoded segments, each with its reason."""
        from qualkit.assist.suggest import Suggester

        p = _open(project)
        who = _coder(p, coder)
        with _progress_bar("embedding") as progress:
            s = Suggester(p, level=level, coder=who, progress=progress)
        ids = (
            s.table.frame["segment_id"].astype(int).tolist()
            if all_segments
            else s.uncoded_segments(who)
        )
        results = s.suggest(ids, coder=who, top_k=top)
        # one frame slice for all segments, not a pandas row lookup per segment
        shown = s.table.frame.iloc[[s.table.row_of[int(sid)] for sid in ids]]
        for sid, sugs, row in zip(ids, results, shown.itertuples(index=False), strict=True):
            if as_json:
                typer.echo(
                    json.dumps(
                        {"segment_id": int(sid), "suggestions": [x.to_dict() for x in sugs]},
                        ensure_ascii=False,
                    )
                )
            else:
                text = " ".join(str(row.text).split())
                typer.echo(
                    f"[{sid}] {row.transcript} {row.speaker}: "
                    f"{text[:90] + ('…' if len(text) > 90 else '')}"
                )
                for i, x in enumerate(sugs, 1):
                    why = x.because.get("nearest") or x.because.get("codebook") or {}
                    hint = (
                        f"like segment {why['segment_id']} ({why['similarity']:.2f})"
                        if "segment_id" in why
                        else f"codebook {why.get('field')} ({why.get('similarity', 0):.2f})"
                    )
                    typer.echo(f"    {i}. {x.code_id:<32} {x.score:6.2f}  {hint}")

    @eval_app.command("suggestions")
    def eval_suggestions(
        coder: Annotated[str, typer.Option("--coder", help="Whose codings are the answers.")],
        project: ProjectOption = Path("."),
        folds: Annotated[int, typer.Option("--folds", help="Number of folds.")] = 5,
        level: Annotated[str, typer.Option("--level", help="code or theme.")] = "code",
        by: Annotated[str, typer.Option("--by", help="Fold by segment or transcript.")] = "segment",
        seed: Annotated[int, typer.Option("--seed")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    ) -> None:
        """k-fold cross-validation of suggestions against a coder's codings."""
        from qualkit.assist.evaluate import evaluate_suggestions

        p = _open(project)
        with _progress_bar("embedding") as progress:
            r = evaluate_suggestions(
                p, coder, folds=folds, level=level, seed=seed, group=by, progress=progress
            )
        if as_json:
            typer.echo(json.dumps(r, ensure_ascii=False))
            return
        z = r["zero_shot"]
        typer.echo(
            f"{r['n_segments']} segments coded by {coder}, level {level}, "
            f"{r['folds']}-fold by {r['grouping']}, {r['n_labels']} {level}s used"
        )
        typer.echo(f"{'':<22}{'top1':>7}{'top3':>7}{'top5':>7}{'macroF1':>9}")
        for name, d in (("codebook + exemplars", r), ("codebook only", z)):
            typer.echo(
                f"{name:<22}{d['top1']:>7.3f}{d['top3']:>7.3f}{d['top5']:>7.3f}"
                f"{d['macro_f1']:>9.3f}"
            )
        typer.echo("per code (n, top3, f1):")
        for c in r["per_code"][:25]:
            typer.echo(f"  {c['code']:<40}{c['n']:>4}{c['top3']:>7.2f}{c['f1']:>7.2f}")
        if len(r["per_code"]) > 25:
            typer.echo(f"  ... {len(r['per_code']) - 25} more (use --json)")

    @topics_app.callback(invoke_without_command=True)
    def topics(
        ctx: typer.Context,
        project: ProjectOption = Path("."),
        uncoded: Annotated[
            bool,
            typer.Option(
                "--uncoded", help="Only segments nobody coded (or --coder has not coded)."
            ),
        ] = False,
        coder: Annotated[str | None, typer.Option("--coder")] = None,
        attribute: Annotated[
            str, typer.Option("--by", help="Participant attribute for the distribution.")
        ] = "group",
        seed: Annotated[int, typer.Option("--seed")] = 42,
        min_size: Annotated[int | None, typer.Option("--min-size")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per topic.")] = False,
    ) -> None:
        """Topic clusters of the segments; `qualkit topics to-code ID --name NAME` adds one."""
        if ctx.invoked_subcommand is not None:
            return
        from qualkit.assist.topics import compute_topics

        p = _open(project)
        with _progress_bar("embedding") as progress:
            r = compute_topics(
                p,
                uncoded=uncoded,
                coder=coder,
                attribute=attribute,
                seed=seed,
                min_topic_size=min_size,
                progress=progress,
            )
        if as_json:
            for t in r["topics"]:
                typer.echo(json.dumps(t.to_dict(), ensure_ascii=False, default=str))
            return
        typer.echo(
            f"{r['n_topics']} topics over {r['n_segments']} segments "
            f"({r['outliers']} outliers; {r['method']})"
        )
        for t in r["topics"]:
            label = "outliers" if t.id == -1 else f"topic {t.id}"
            typer.echo(f"{label} ({t.size}): {', '.join(t.terms[:8])}")
            if t.nearest_code:
                typer.echo(f"    nearest code: {t.nearest_code} ({t.similarity:.2f})")
            typer.echo("    " + ", ".join(f"{k} {v}" for k, v in t.groups.items()))
            for rep in t.representatives:
                typer.echo(f"    [{rep['segment_id']}] {rep['text'][:100]}")

    @topics_app.command("to-code")
    def topics_to_code(
        topic_id: Annotated[int, typer.Argument(help="Topic id from the last `qualkit topics`.")],
        name: Annotated[str, typer.Option("--name", help="Name of the new code.")],
        parent: Annotated[str | None, typer.Option("--parent", help="Parent code id.")] = None,
        project: ProjectOption = Path("."),
    ) -> None:
        """Add a topic to codebook.yaml as a code with a draft description."""
        from qualkit.assist.topics import topic_to_code

        p = _open(project)
        code_id = topic_to_code(p, topic_id, name, parent=parent)
        typer.echo(f"added code {code_id} to codebook.yaml (edit its draft description)")

    @app.command("suggestion-report")
    def suggestion_report(
        project: ProjectOption = Path("."),
        coder: Annotated[str | None, typer.Option("--coder")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """How often suggestions were accepted, per code (provenance for a methods section)."""
        from qualkit.assist.feedback import acceptance_report

        p = _open(project)
        rep = acceptance_report(p, coder)
        if as_json:
            for row in rep.to_dict(orient="records"):
                typer.echo(json.dumps(row))
            return
        if rep.empty:
            typer.echo("no suggestion feedback recorded yet")
            return
        typer.echo(rep.to_string(index=False))
