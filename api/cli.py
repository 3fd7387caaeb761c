"""The ``cigraph`` command line (typer + rich).

Every command takes ``--store DIR`` (default ``./cigraph-data``), the on-disk graph store.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="cigraph: a provider-impact knowledge graph of NHS commissioning intentions.",
)
console = Console()
err = Console(stderr=True)

DEFAULT_STORE = os.environ.get("CIGRAPH_STORE", "./cigraph-data")
StoreOpt = typer.Option(DEFAULT_STORE, "--store", help="Graph store directory (or 'memory', or a SPARQL endpoint URL).")
EXAMPLES = Path(__file__).resolve().parent.parent / "loaders" / "examples"


def _open(store: str):
    from cigraph.graph.store import StoreError, open_store

    try:
        return open_store(store)
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)


def _load(paths: list[Path], store, quiet: bool = False):
    from cigraph.graph.ingest import expand_paths, load_files

    files = expand_paths(paths)
    results = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, disable=quiet or not files, transient=True) as progress:
        task = progress.add_task("loading", total=len(files))

        def tick(path, result):
            progress.update(task, advance=1, description=f"loaded {path.name}")

        results = load_files(files, store, progress=tick)
    return results


def _summary(results) -> str:
    """One line per document: what was stored, or why nothing was."""
    lines = []
    for r in results:
        name = Path(r.path).name
        if r.ok:
            rep = r.report
            lines.append(f"[green]ok[/green]     {name}: {rep.intentions} intentions, {rep.provider_links} provider links, "
                         f"{rep.group_links} group links, {len(rep.unresolved)} unresolved, {len(rep.warnings)} warnings")
        else:
            lines.append(f"[red]failed[/red] {name}: nothing stored (see the error below)")
    return "\n".join(lines)


@app.command()
def load(
    paths: list[Path] = typer.Argument(..., help="Documents (txt, md, pdf, docx, html) or folders of them."),
    store: str = StoreOpt,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List unresolved mentions and warnings."),
):
    """Load documents: each becomes its own named graph (a reload replaces it)."""
    st = _open(store)
    try:
        results = _load(paths, st)
    finally:
        st.close()
    console.print(_summary(results), soft_wrap=True)
    for r in results:
        if not r.ok:
            err.print(f"[red]error:[/red] {r.error}")
        elif verbose:
            for u in r.report.unresolved:
                console.print(f"  {Path(r.path).name}:{u.line}: unresolved mention {u.text!r}")
            for w in r.report.warnings:
                console.print(f"  {Path(r.path).name}: warning: {w}")
    if not results:
        err.print("[red]error:[/red] no files to load")
        raise typer.Exit(1)
    if any(not r.ok for r in results):
        raise typer.Exit(1)


@app.command("eval")
def eval_(
    gold: Path = typer.Argument(..., help="Gold annotation (JSONL)."),
    seeds: Path = typer.Option(..., "--seeds", help="Folder of the documents the gold file annotates."),
):
    """Score the loaders against a gold annotation; the last line is a machine-readable summary."""
    from cigraph.graph.evaluate import evaluate, read_gold
    from cigraph.graph.queries import Queries
    from cigraph.graph.store import open_store

    if not gold.is_file():
        err.print(f"[red]error:[/red] {gold}: no such gold file")
        raise typer.Exit(2)
    if not seeds.is_dir():
        err.print(f"[red]error:[/red] {seeds}: not a folder of documents")
        raise typer.Exit(2)
    rows = read_gold(gold)
    st = open_store("memory")
    results = _load([seeds], st, quiet=True)
    for r in results:
        if r.ok:
            print(f"loaded {Path(r.path).name}: {r.report.intentions} intentions, "
                  f"{r.report.provider_links} provider links, {len(r.report.unresolved)} unresolved")
        else:
            print(f"FAILED {r.error}")
    res = evaluate(Queries(st), rows)
    print(res.report())


@app.command()
def validate(store: str = StoreOpt):
    """Check the stored graph against the SHACL shapes; exit 1 on any violation."""
    from cigraph.graph.validate import format_violations
    from cigraph.graph.validate import validate as shacl

    st = _open(store)
    try:
        data = st.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    finally:
        st.close()
    ok, violations = shacl(data)
    if ok:
        console.print(f"[green]valid[/green]: {len(data)} triples conform to the shapes")
        return
    console.print(format_violations(violations))
    raise typer.Exit(1)


@app.command()
def export(
    format: str = typer.Option("turtle", "--format", "-f", help="turtle | jsonld | nquads | trig"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="File to write (default: stdout)."),
    store: str = StoreOpt,
):
    """Export the whole graph."""
    if format not in ("turtle", "jsonld", "nquads", "trig"):
        err.print(f"[red]error:[/red] unknown format {format!r}; use turtle, jsonld, nquads or trig")
        raise typer.Exit(2)
    st = _open(store)
    try:
        data = st.export(format)
    finally:
        st.close()
    if output:
        output.write_bytes(data)
        err.print(f"wrote {len(data)} bytes to {output}")
    else:
        sys.stdout.buffer.write(data)


def describe_interpretation(interp: dict) -> str:
    """The interpretation as one readable line: how the question was understood."""
    parts = []
    prov = interp.get("provider")
    if isinstance(prov, dict):
        text = f"provider {prov['query']!r} = {prov['code']} {prov['name']}"
        preds = prov.get("predecessors_included")
        if preds:
            text += " (+ predecessors " + ", ".join(p["code"] for p in preds) + ", marked via)"
        parts.append(text)
    comm = interp.get("commissioner")
    if isinstance(comm, dict):
        parts.append(f"commissioner {comm.get('code') or ''} {comm.get('name') or ''}".strip())
    if interp.get("quarter"):
        parts.append(f"quarter {interp['quarter']}")
    if interp.get("theme"):
        parts.append(f"theme {interp['theme']!r}")
        if interp.get("commissioners"):
            parts.append("commissioners: " + "; ".join(f"{k} ({len(v)})" for k, v in interp["commissioners"].items()))
    for key in ("programme", "pathway", "text"):
        if interp.get(key):
            parts.append(f"{key} {interp[key]!r}")
    if interp.get("kind") != "theme" and (interp.get("quarter") or interp.get("fy")):
        parts.append(f"match {interp.get('match', 'overlaps')}")
    return "; ".join(parts) or "all intentions"


def _print_results(payload: dict, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(payload, indent=2, default=str))
        return
    shown = len(payload["results"])
    more = f" (showing {shown})" if shown < payload["total"] else ""
    console.print(f"[bold]{payload['total']} intention(s)[/bold]{more} — {describe_interpretation(payload['interpretation'])}")
    table = Table(show_lines=False)
    table.add_column("source", no_wrap=True)
    for col in ("by", "programme", "title", "providers", "periods"):
        table.add_column(col, overflow="fold")
    for it in payload["results"]:
        asked = (payload["interpretation"].get("provider") or {}).get("code")
        provs = ", ".join(
            (p["code"] or p["name"]) + (f" (predecessor of {asked})" if p.get("via") else "") for p in it["providers"]
        )
        table.add_row(
            f"{it['source']['document']}:{it['source']['line']}",
            it["commissioner"]["code"] or it["commissioner"]["name"] or "",
            it["programme"] or "",
            it["title"],
            provs,
            ", ".join(p["label"] for p in it["periods"]),
        )
    console.print(table)


@app.command()
def ask(
    question: str = typer.Argument(..., help='e.g. "which intentions affect BHT in Q1"'),
    format: str = typer.Option("table", "--format", "-f", help="table | json"),
    limit: int = typer.Option(100, "--limit"),
    store: str = StoreOpt,
):
    """Ask a question in plain English."""
    from cigraph.api.ask import ask as answer
    from cigraph.graph.queries import Queries, QueryError, UnknownEntity

    st = _open(store)
    try:
        payload = answer(Queries(st), question, limit=limit)
    except UnknownEntity as exc:
        err.print(f"[red]not found:[/red] {exc}")
        raise typer.Exit(2)
    except (QueryError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    finally:
        st.close()
    _print_results(payload, format)


@app.command()
def serve(
    store: str = StoreOpt,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8765, "--port"),
):
    """Serve the API, the SPARQL endpoint and the web page."""
    _serve(store, host, port)


def _free_port(host: str, port: int) -> int:
    with socket.socket() as s:
        try:
            s.bind((host, port))
            return port
        except OSError:
            s.bind((host, 0))
            return s.getsockname()[1]


def _serve(store: str, host: str, port: int) -> None:
    import uvicorn

    from cigraph.api.app import create_app

    st = _open(store)
    application = create_app(st)
    port = _free_port(host, port)
    url = f"http://{host}:{port}/"
    console.print(f"cigraph is serving [bold]{url}[/bold]  (API: {url}api/intentions, SPARQL: {url}sparql, docs: {url}docs)")
    sys.stdout.flush()
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def demo(
    store: str = typer.Option("./cigraph-demo", "--store", help="Where the demo graph is kept (rebuilt each run)."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8765, "--port"),
    serve_: bool = typer.Option(True, "--serve/--no-serve", help="Serve after building (default)."),
):
    """Build the graph from the bundled (fictional) example corpus and serve it."""
    if store != "memory" and Path(store).exists():
        shutil.rmtree(store)
    st = _open(store)
    results = _load([EXAMPLES], st)
    console.print(_summary(results), soft_wrap=True)
    if any(not r.ok for r in results):
        for r in results:
            if not r.ok:
                err.print(f"[red]error:[/red] {r.error}")
        st.close()
        raise typer.Exit(1)
    st.close()
    if serve_:
        _serve(store, host, port)


@app.command("map")
def map_(
    provider: Optional[str] = typer.Option(None, "--provider", help="Provider (code, name or alias)."),
    commissioner: Optional[str] = typer.Option(None, "--commissioner", help="Commissioner (code or name)."),
    quarter: Optional[str] = typer.Option(None, "--quarter", help='e.g. "Q1 2018/19"'),
    overlaps: bool = typer.Option(False, "--overlaps", help="Commissioner overlap map instead."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write (.html, or .png/.svg)."),
    png: bool = typer.Option(False, "--png", help="Write a PNG image (for slides)."),
    svg: bool = typer.Option(False, "--svg", help="Write an SVG image (for slides)."),
    store: str = StoreOpt,
):
    """Write an impact map: a self-contained HTML file (offline), or a PNG/SVG image."""
    from cigraph.api.maps import build_map, render
    from cigraph.graph.queries import Queries, QueryError, UnknownEntity

    if not overlaps and not provider and not commissioner:
        err.print("[red]error:[/red] give --provider NAME, --commissioner NAME or --overlaps")
        raise typer.Exit(2)
    fmt = "png" if png or output.suffix.lower() == ".png" else "svg" if svg or output.suffix.lower() == ".svg" else "html"
    st = _open(store)
    try:
        model, title = build_map(Queries(st), provider=provider, quarter=quarter, overlaps=overlaps,
                                 commissioner=commissioner)
    except UnknownEntity as exc:
        err.print(f"[red]not found:[/red] {exc}")
        raise typer.Exit(2)
    except QueryError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    finally:
        st.close()
    data, _media = render(model, title, fmt)
    output.write_bytes(data)
    console.print(f"wrote {fmt.upper()} map to {output}")


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    main()
