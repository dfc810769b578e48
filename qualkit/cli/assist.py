"""Commands for the offline helpers: embed, suggest, eval suggestions, topics, suggestion-report.

Heavy libraries are imported inside the commands, so `qualkit --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import (
    ActorOption,
    JsonOption,
    LevelOption,
    OptionalCoderOption,
    ProjectOption,
    app,
    check_level,
    eval_app,
    open_project,
    pass_options_on,
    progress_bar,
    resolve_coder,
    topics_app,
)
from qualkit.errors import QualkitError

SeedOption = Annotated[
    int, typer.Option("--seed", help="Random seed (same seed, same answer).", metavar="N")
]


@app.command()
def embed(project: ProjectOption = Path(".")) -> None:
    """Compute (or refresh) the embedding cache for every segment; nothing is embedded twice."""
    from qualkit.assist.embed import embed_segments, embedder_for

    p = open_project(project)
    emb = embedder_for(p)
    segs = p.segments(include_interviewer=True)
    with progress_bar("embedding") as progress:
        _, new = embed_segments(p, emb, progress=progress, segments=segs)
    typer.echo(
        f"{len(segs)} segments, {new} newly embedded, {len(segs) - new} from cache "
        f"(model {emb.model_id})"
    )


@app.command()
def suggest(
    coder: OptionalCoderOption = None,
    top: Annotated[
        int, typer.Option("--top", "-k", help="Suggestions per segment.", metavar="N")
    ] = 3,
    all_segments: Annotated[
        bool, typer.Option("--all", help="All segments, not only the coder's uncoded ones.")
    ] = False,
    level: LevelOption = "code",
    as_json: JsonOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """Suggest codes for the coder's uncoded segments, each with its reason."""
    from qualkit.assist.suggest import Suggester

    check_level(level)
    p = open_project(project)
    who = resolve_coder(p, coder)
    with progress_bar("embedding") as progress:
        s = Suggester(p, level=level, coder=who, progress=progress)
    ids = s.coding_units() if all_segments else s.uncoded_segments(who)
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
            continue
        text = " ".join(str(row.text).split())
        typer.echo(
            f"[{sid}] {row.transcript} {row.speaker}: {text[:90] + ('…' if len(text) > 90 else '')}"
        )
        if not sugs:
            typer.echo("    no strong match (too few content words to go on)")
        for i, x in enumerate(sugs, 1):
            typer.echo(f"    {i}. {x.code_id:<32} {x.score:6.2f}  {reason_text(x.because)}")


def reason_text(because: dict) -> str:
    """One line of why a code was suggested; weak reasons say they are weak."""
    parts = []
    why = because.get("nearest") or because.get("codebook") or {}
    if "segment_id" in why:
        parts.append(f"like segment {why['segment_id']} ({why['similarity']:.2f})")
    elif why:
        parts.append(f"codebook {why.get('field')} ({why.get('similarity', 0):.2f})")
    if because.get("neighbours"):
        parts.append("also on the segments around it")
    text = ", ".join(parts)
    return f"weak: {text}" if because.get("weak") else text


@eval_app.command("suggestions")
def eval_suggestions(
    coder: Annotated[
        str, typer.Option("--coder", help="Whose codings are the answers.", metavar="NAME")
    ],
    folds: Annotated[int, typer.Option("--folds", help="Number of folds.", metavar="N")] = 5,
    level: LevelOption = "code",
    by: Annotated[
        str, typer.Option("--by", help="Fold by segment, or by transcript (a new interview).")
    ] = "segment",
    seed: SeedOption = 0,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Prequential instead of k-fold: segments in transcript order, each ranked with "
            "only the codings before it, with three baselines. With --by transcript: each "
            "interview held out, then coded in order (a new interview as a coder meets it).",
        ),
    ] = False,
    as_json: JsonOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """k-fold cross-validation (or, with --online, the coder's-eye prequential evaluation)
    of suggestions against a coder's codings."""
    from qualkit.assist.evaluate import evaluate_suggestions

    check_level(level)
    p = open_project(project)
    if by not in ("segment", "transcript"):
        raise QualkitError(f"--by must be 'segment' or 'transcript', not '{by}'")
    if online and by == "transcript":
        # a separate figure: each interview held out, then coded in order (interview_online.py)
        from qualkit.assist.interview_online import (
            evaluate_interview_online,
            interview_online_lines,
        )
        from qualkit.assist.suggest import Suggester

        with progress_bar("embedding") as progress:
            sug = Suggester(p, level=level, coder=coder, progress=progress)
        r = evaluate_interview_online(p, coder, sug)
        if as_json:
            typer.echo(json.dumps(r, ensure_ascii=False))
        else:
            for line in interview_online_lines(r):
                typer.echo(line)
        return
    if online:
        from qualkit.assist.online import evaluate_online
        from qualkit.cli.eval_online import print_online

        with progress_bar("embedding") as progress:
            r = evaluate_online(p, coder, level=level, progress=progress)
        if as_json:
            typer.echo(json.dumps(r, ensure_ascii=False))
        else:
            print_online(r)
        return
    with progress_bar("embedding") as progress:
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
            f"{name:<22}{d['top1']:>7.3f}{d['top3']:>7.3f}{d['top5']:>7.3f}{d['macro_f1']:>9.3f}"
        )
    typer.echo("coverage against precision (share of these segments shown suggestions; how often")
    typer.echo("the first / first 3 hold a gold code):")
    for c in r["coverage_precision"]:
        typer.echo(
            f"  {c['kept']:<22} coverage {c['coverage']:.3f}  precision top1 "
            f"{c['precision_top1']:.3f}  top3 {c['precision_top3']:.3f}"
        )
    typer.echo("per code (n, top3, f1):")
    for c in r["per_code"][:25]:
        typer.echo(f"  {c['code']:<40}{c['n']:>4}{c['top3']:>7.2f}{c['f1']:>7.2f}")
    if len(r["per_code"]) > 25:
        typer.echo(f"  ... {len(r['per_code']) - 25} more (use --json)")


@topics_app.callback(invoke_without_command=True)
def topics(
    ctx: typer.Context,
    uncoded: Annotated[
        bool,
        typer.Option("--uncoded", help="Only segments nobody coded (or --coder has not coded)."),
    ] = False,
    coder: Annotated[
        str | None,
        typer.Option(
            "--coder", help="With --uncoded: segments this coder has not coded.", metavar="NAME"
        ),
    ] = None,
    attribute: Annotated[
        str,
        typer.Option("--by", help="Participant attribute for each topic's spread.", metavar="ATTR"),
    ] = "group",
    seed: SeedOption = 42,
    min_size: Annotated[
        int | None,
        typer.Option(
            "--min-size",
            help="Smallest topic (default: chosen from the data size).",
            metavar="N",
        ),
    ] = None,
    as_json: JsonOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """Topic clusters of the segments; `qualkit topics to-code ID --name NAME` adds one."""
    if ctx.invoked_subcommand is not None:
        pass_options_on(ctx)
        return
    from qualkit.assist.topics import compute_topics

    p = open_project(project)
    with progress_bar("embedding") as progress:
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
    topic_id: Annotated[
        int, typer.Argument(help="Topic id from the last `qualkit topics`.", metavar="TOPIC")
    ],
    name: Annotated[str, typer.Option("--name", help="Name of the new code.", metavar="NAME")],
    parent: Annotated[
        str | None, typer.Option("--parent", help="Parent code id.", metavar="CODE")
    ] = None,
    coder: ActorOption = "cli",
    project: ProjectOption = Path("."),
) -> None:
    """Add a topic to codebook.yaml as a code with a draft description."""
    from qualkit.assist.topics import topic_to_code

    code_id = topic_to_code(open_project(project), topic_id, name, parent=parent, actor=coder)
    typer.echo(f"added code {code_id} to codebook.yaml (edit its draft description)")


@app.command("suggestion-report")
def suggestion_report(
    coder: Annotated[
        str | None, typer.Option("--coder", help="Only this coder's feedback.", metavar="NAME")
    ] = None,
    as_json: JsonOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """How often suggestions were accepted, per code (provenance for a methods section)."""
    from qualkit.assist.feedback import acceptance_report

    rep = acceptance_report(open_project(project), coder)
    if as_json:
        for row in rep.to_dict(orient="records"):
            typer.echo(json.dumps(row))
        return
    if rep.empty:
        typer.echo("no suggestion feedback recorded yet")
        return
    typer.echo(rep.to_string(index=False))
