"""The `nntui` command: the app, the lesson list, headless runs and their recordings.

    nntui [open LESSON]                          the app (lesson browser, or one lesson)
    nntui list                                   every lesson
    nntui run LESSON [--steps N] [--out F.jsonl] train without a screen; record every event
    nntui replay F.jsonl [--speed X] [--lang]    play a recording in its lesson screen (no torch)
    nntui export F.jsonl --csv DIR               a recording's series as CSV files
    nntui screenshot LESSON --out F.svg          a lesson after N steps, as SVG (no terminal needed)
    nntui claims [LESSON ...]                    does every guide page's check hold on its model?

Keep this module light: `spawn` re-imports the entry module in the trainer
process, and `nntui --help` / `nntui list` must never import torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nntui.spec.limits import MAX_SEED, MAX_THREADS, check_device_name, check_out
from nntui.curriculum.model import LANGUAGES
from nntui.serve.cli import serve_cli

cli = typer.Typer(
    help="nntui: a terminal deep-learning lab. Run without a command to open the lesson browser.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
cli.add_typer(serve_cli, name="serve")  # `nntui serve ssh|web`; the sub-app imports asyncssh only when run

LangOption = Annotated[str, typer.Option("--lang", help="Language of the lessons: en or zh.")]
DeviceOption = Annotated[str, typer.Option("--device", help="Where models train: cpu, cuda or cuda:N.")]
ThreadsOption = Annotated[int, typer.Option("--threads", min=1, max=MAX_THREADS, help="Torch threads for training.")]
SeedOption = Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Random seed.")]


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"nntui: {message}", err=True)
    return typer.Exit(code)


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise fail(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


@cli.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    lang: LangOption = "en",
    device: DeviceOption = "cpu",
    threads: ThreadsOption = 1,
) -> None:
    """Open the lesson browser."""
    if ctx.invoked_subcommand is None:
        _launch(None, _check_lang(lang), device, threads)
    else:  # `nntui --lang zh open neuron` means the same as `nntui open neuron --lang zh`
        ctx.obj = {"lang": lang, "device": device, "threads": threads}


@cli.command("list")
def list_lessons(lang: LangOption = "en") -> None:
    """List every lesson, by chapter, with broken ones marked."""
    from rich.console import Console

    from nntui.curriculum.loader import load_curriculum

    Console().print(lesson_table(load_curriculum(), _check_lang(lang)))


def lesson_table(curriculum, lang: str):
    """Every lesson by chapter. Titles and errors come from lesson files: shown as text, never
    read as Rich markup (a title holding "[/]" must not break the listing for everyone)."""
    from rich.table import Table
    from rich.text import Text

    table = Table("lesson", "title", "experiment", box=None, pad_edge=False)

    def broken(lesson) -> Text:
        return Text(f"broken: {lesson.error}", style="red")

    for chapter in curriculum.chapters:
        lessons = curriculum.in_chapter(chapter.id)
        if lessons:
            table.add_row(Text(chapter.title.get(lang), style="bold"), "", "")
        for lesson in lessons:
            if lesson.broken:
                table.add_row(Text(f"  {lesson.id}"), broken(lesson), "")
            else:
                table.add_row(Text(f"  {lesson.id}"), Text(lesson.title.get(lang)), Text(lesson.experiment))
    for lesson in (lesson for lesson in curriculum.lessons if lesson.broken and not lesson.chapter):
        table.add_row(Text(f"  {lesson.id}"), broken(lesson), "")
    return table


@cli.command("open")
def open_lesson(
    ctx: typer.Context,
    lesson: Annotated[str, typer.Argument(help="Lesson id, as `nntui list` shows it.")],
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language of the lessons: en or zh.")] = None,
    device: Annotated[Optional[str], typer.Option("--device", help="Where models train: cpu, cuda or cuda:N.")] = None,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, max=MAX_THREADS, help="Torch threads.")] = None,
    text: Annotated[
        Optional[Path], typer.Option("--text", help="Your own UTF-8 text file instead of the lesson's (text lessons).")
    ] = None,
) -> None:
    """Open one lesson straight away."""
    from nntui.curriculum.loader import load_curriculum

    found = load_curriculum().find(lesson)
    if found is None:
        raise fail(f"unknown lesson {lesson!r} (see `nntui list`)")
    run_params = {} if text is None else {"text_file": _checked_text(found, text)}
    root = ctx.obj or {}
    _launch(
        lesson,
        _check_lang(lang or root.get("lang", "en")),
        device or root.get("device", "cpu"),
        threads or root.get("threads", 1),
        run_params,
    )


def _checked_text(lesson, path: Path) -> str:
    """The absolute path of a text file the lesson can read (its experiment takes `text_file`),
    checked before anything starts: missing, binary, not UTF-8 or too small exits 2 naming it."""
    from nntui.spec import catalog
    from nntui.spec.texts import TextFileError, read_text_file

    if lesson.broken:
        raise fail(lesson.error)
    if "text_file" not in catalog.get(lesson.experiment).params:
        raise fail(f"--text: lesson {lesson.id!r} does not read a text (text lessons do: text-pipeline, ...)")
    try:
        read_text_file(path)
    except TextFileError as exc:
        raise fail(f"--text {exc}") from None
    return str(path.resolve())


@cli.command("run")
def run(
    lesson: Annotated[str, typer.Argument(help="Lesson id, as `nntui list` shows it.")],
    steps: Annotated[Optional[int], typer.Option(min=1, help="Stop after this many steps.")] = None,
    epochs: Annotated[Optional[int], typer.Option(min=1, help="Train this many epochs.")] = None,
    set_: Annotated[
        Optional[list[str]], typer.Option("--set", help="Set a parameter: name=value (repeatable).")
    ] = None,
    seed: SeedOption = 0,
    device: DeviceOption = "cpu",
    out: Annotated[Optional[Path], typer.Option(help="Write every event as a JSON line here.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the final metrics as JSON on stdout.")] = False,
    threads: ThreadsOption = 1,
) -> None:
    """Train a lesson's experiment without a screen and print a summary."""
    from nntui.headless import HeadlessRun

    try:
        job = HeadlessRun.prepare(lesson, steps=steps, epochs=epochs, settings=set_ or [], seed=seed, device=device)
        if out is not None:
            check_out(out)
    except ValueError as exc:  # RunOptionsError too
        raise fail(str(exc)) from None
    code = job.execute(out=out, as_json=json_, threads=threads)
    raise typer.Exit(code)


RecordingArg = Annotated[Path, typer.Argument(help="A recording: `nntui run LESSON --out FILE.jsonl`.")]


def _read_recording(path: Path):
    from nntui.spec.recording import RecordingError, read_recording

    try:
        recording = read_recording(path)
    except RecordingError as exc:
        raise fail(str(exc)) from None
    if recording.truncated:
        typer.echo(f"nntui: {path}:{recording.truncated}: last line cut off (the run was killed?); left out", err=True)
    return recording


@cli.command("replay")
def replay(
    recording: RecordingArg,
    speed: Annotated[float, typer.Option(help="Play faster (2) or slower (0.5); inf: all at once.")] = 1.0,
    lang: LangOption = "en",
    lesson: Annotated[Optional[str], typer.Option(help="The lesson to show it in (default: the recorded one).")] = None,
) -> None:
    """Play a recording back in its lesson screen: no training, no torch."""
    from nntui.playback import playback_app
    from nntui.spec.recording import RecordingError

    if not speed > 0:
        raise fail(f"--speed: expected a number above 0, got {speed:g}")
    lang = _check_lang(lang)
    try:
        app = playback_app(_read_recording(recording), speed=speed, lang=lang, lesson_id=lesson)
    except RecordingError as exc:
        raise fail(str(exc)) from None
    app.run()
    if app.return_code:  # the app failed (Textual printed why): never exit 0 after that
        raise typer.Exit(app.return_code)


@cli.command("export")
def export(
    recording: RecordingArg,
    csv: Annotated[Path, typer.Option("--csv", help="Write CSV files into this folder.")],
) -> None:
    """Write a recording's series as CSV files (metrics.csv, layer_norms.csv, ...)."""
    from nntui.export import export_csv, skipped_kinds

    events = _read_recording(recording).events
    try:
        written = export_csv(events, csv)
    except OSError as exc:
        raise fail(f"--csv {csv}: {exc.strerror or exc}") from None
    for path, rows in written:
        typer.echo(f"{path}  {rows} rows")
    for kind, count in sorted(skipped_kinds(events).items()):
        typer.echo(f"(not exported: {count} {kind} events)")


@cli.command("screenshot")
def screenshot(
    lesson: Annotated[str, typer.Argument(help="Lesson id, as `nntui list` shows it.")],
    out: Annotated[Path, typer.Option(help="The SVG file to write.")],
    steps: Annotated[int, typer.Option(min=1, help="Train this many steps first.")] = 200,
    size: Annotated[str, typer.Option(help="Screen size in columns x rows.")] = "120x40",
    lang: LangOption = "en",
    set_: Annotated[
        Optional[list[str]], typer.Option("--set", help="Set a parameter: name=value (repeatable).")
    ] = None,
    seed: SeedOption = 0,
    device: DeviceOption = "cpu",
    threads: ThreadsOption = 1,
) -> None:
    """Train a lesson for N steps and save its screen as SVG (no terminal needed)."""
    from nntui import screenshot as shot
    from nntui.headless import HeadlessRun, RunOptionsError

    lang = _check_lang(lang)
    try:
        width_height = shot.parse_size(size)
        job = HeadlessRun.prepare(lesson, steps=steps, settings=set_ or [], seed=seed, device=device)
    except (ValueError, RunOptionsError) as exc:
        raise fail(str(exc)) from None
    if out.suffix.lower() != ".svg" or not out.parent.is_dir():
        raise fail(f"--out {out}: expected FILE.svg in an existing folder")
    try:
        check_out(out)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        events = shot.train(job, threads=threads)
    except ValueError as exc:  # e.g. --device cuda without one
        raise fail(str(exc)) from None
    shot.render(events, out, width_height, lang=lang)
    typer.echo(f"{out}  ({lesson}, step {max(getattr(e, 'step', 0) or 0 for e in events)}, {size})")


@cli.command("claims")
def claims(
    lessons: Annotated[Optional[list[str]], typer.Argument(help="Lesson ids (default: every lesson).")] = None,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Random seed (the lessons' own is 0).")] = 0,
    device: DeviceOption = "cpu",
    threads: ThreadsOption = 1,
) -> None:
    """Train every checked guide page headless on its own settings; show when its check held."""
    try:
        check_device_name(device)
    except ValueError as exc:
        raise fail(str(exc)) from None
    import torch
    from rich.console import Console
    from rich.table import Table

    from nntui.claims import checked_steps, verify
    from nntui.lab.base import resolve_device
    from nntui.curriculum.loader import load_curriculum

    curriculum = load_curriculum()
    chosen = []
    for lesson_id in lessons or [lesson.id for lesson in curriculum.lessons]:
        found = curriculum.find(lesson_id)
        if found is None or found.broken:
            raise fail(f"unknown lesson {lesson_id!r} (see `nntui list`)" if found is None else found.error)
        chosen.append(found)
    try:
        resolve_device(device)
    except ValueError as exc:
        raise fail(str(exc)) from None
    torch.set_num_threads(threads)
    table = Table("lesson", "step", "check", "held at", "seconds", "values", box=None, pad_edge=False)
    console, failed = Console(), 0
    with console.status("training…"):
        for lesson in chosen:
            for step in checked_steps(lesson):
                result = verify(lesson, step, seed=seed, device=device)
                keys = dict.fromkeys(clause.key for clause in step.check.clauses)
                values = ", ".join(f"{key} {result.observed[key]:.4g}" for key in keys if key in result.observed)
                where = f"{result.held_at:,}" if result.held else f"[red]never ({result.steps_run:,} steps)[/]"
                failed += not result.held
                table.add_row(lesson.id, step.id, step.check.source, where, f"{result.seconds:.1f}", values)
    console.print(table)
    raise typer.Exit(1 if failed else 0)


def _launch(lesson: str | None, lang: str, device: str, threads: int, run_params: dict | None = None) -> None:
    from nntui.app import NntuiApp
    from nntui.runtime.client import Trainer

    try:  # only the form here: the trainer checks the device itself, so the app never loads torch
        check_device_name(device)
    except ValueError as exc:
        raise fail(str(exc)) from None
    trainer = Trainer(threads=threads)
    trainer.start()  # before App.run(): see runtime/worker.py
    try:
        NntuiApp(trainer, lang=lang, device=device, lesson=lesson, run_params=run_params).run()
    finally:
        trainer.close()


def main() -> None:
    cli()
