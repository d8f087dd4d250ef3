"""`plansmith catalog export | apply`: the plan catalog as a YAML file an operator keeps in git.

Thin: reading, comparing and writing are application.catalog_file's. A refused file prints one
line per error, naming the file and the path inside it, and writes nothing.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from plansmith.application.catalog.file import (
    CatalogDocument,
    Change,
    ChangeKind,
    apply_catalog,
    diff_catalog,
    dump_yaml,
    export_catalog,
    load_yaml,
    read_catalog,
)
from plansmith.application.organizations import organizations as orgs
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.entrypoints.cli.context import container

catalog_app = typer.Typer(
    help="The plan catalog as a YAML file (see docs/catalog-file.md).", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)

OrgOption = Annotated[str, typer.Option("--org", help="Organization id or name")]
_MARKS = {
    ChangeKind.CREATE: "[green]+ create   [/green]",
    ChangeKind.UPDATE: "[yellow]~ update   [/yellow]",
    ChangeKind.UNCHANGED: "[dim]= unchanged[/dim]",
}


def _interactive() -> bool:
    return sys.stdin.isatty()


@contextmanager
def file_errors(source: str) -> Iterator[None]:
    """A refused document: one line per error, "FILE: PATH: reason", on stderr; exit 1."""
    try:
        yield
    except DomainError as exc:
        for error in exc.errors if isinstance(exc, InvalidInput) else [exc]:
            where = f"{error.field}: " if error.field else ""
            err.print(
                f"{source}: {where}{error.message}", markup=False, highlight=False, soft_wrap=True
            )
        raise typer.Exit(1) from None


def read_file(path: Path) -> CatalogDocument:
    """The checked document in a file; raises InvalidInput (syntax errors with line, column)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InvalidInput([InvalidValue(f"cannot read the file: {reason}")]) from None
    return read_catalog(load_yaml(text), str(path))


def summary(changes: Sequence[Change], *, done: bool = False) -> str:
    counts = Counter(c.kind for c in changes)
    made, changed = ("created", "updated") if done else ("to create", "to update")
    return (
        f"{counts[ChangeKind.CREATE]} {made}, {counts[ChangeKind.UPDATE]} {changed}, "
        f"{counts[ChangeKind.UNCHANGED]} unchanged"
    )


def show(changes: Sequence[Change], source: str, organization: str) -> None:
    out.print(f"[bold]{escape(source)}[/bold] against the catalog of {escape(organization)}:")
    for change in changes:
        out.print(f"  {_MARKS[change.kind]} {change.what:<10} {escape(change.code)}")
        for line in change.details:
            out.print(f"      {escape(line)}", highlight=False, soft_wrap=True)
    out.print(summary(changes))


@catalog_app.command("export")
def export(
    org: OrgOption,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")
    ] = None,
) -> None:
    """Print the catalog (families, plans, add-ons, extra packs) as YAML."""
    with container() as plansmith:
        organization = orgs.find_organization(plansmith.uow(), org)
        data = export_catalog(plansmith.uow(), organization.id)
    text = (
        f"# The plan catalog of {organization.name}, as `plansmith catalog export` wrote it.\n"
        "# Change it, then: plansmith catalog apply FILE --org ORG (docs/catalog-file.md)\n"
        + dump_yaml(data)
    )
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        err.print(f"{output}: cannot write the file: {exc.strerror}", highlight=False)
        raise typer.Exit(1) from None
    counts = ", ".join(f"{len(items)} {section}" for section, items in data.items())
    err.print(f"wrote {counts} to {output}", highlight=False, soft_wrap=True)


@catalog_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="The catalog file (YAML)", dir_okay=False)],
    org: OrgOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the changes, write nothing")
    ] = False,
) -> None:
    """Show what the file changes, ask, then write every change in one transaction."""
    source = str(file)
    with container() as plansmith:
        organization = orgs.find_organization(plansmith.uow(), org)
        with file_errors(source):
            document = read_file(file)
            changes = diff_catalog(plansmith.uow(), organization.id, document)
        show(changes, source, organization.name)
        pending = sum(c.kind is not ChangeKind.UNCHANGED for c in changes)
        if not pending:
            out.print("Nothing to change: the catalog already matches the file.")
            return
        if dry_run:
            out.print("Dry run: nothing written.")
            return
        if not yes:
            if not _interactive():
                err.print("not asking without a terminal: run again with --yes to apply")
                raise typer.Exit(1)
            if not typer.confirm(f"Apply {pending} change(s) to {organization.name}?"):
                err.print("Nothing written.")
                raise typer.Exit(1)
        with file_errors(source):
            applied = apply_catalog(plansmith.uow(), plansmith.clock, organization.id, document)
        out.print(f"Applied in one transaction: {summary(applied, done=True)}.")
