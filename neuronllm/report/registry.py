"""The report registry: one record per kind of `neuronllm report`, read by the CLI (its choices, the
options each kind needs, the dispatch) and by the workflow's report rules (each output's caption and
category in `snakemake --report`; tests/unit/test_registry.py checks that no rule names a caption file
itself). A new table is a Kind in table_kinds.KINDS, and its Report follows from it; any other new
report is one Report below, with its writer. Nothing here imports more than the registries it reads:
the CLI builds its parser from REPORTS at every start, and a writer imports its module when it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuronllm.errors import UserError
from neuronllm.report.table_kinds import KINDS

Options = Mapping[str, Any]  # the CLI's parsed options by dest name: "out", "latex", "metrics", ...


def _nothing(options: Options) -> None:
    return None


def _metrics(options: Options) -> list[str]:
    return list(options.get("metrics") or [])


@dataclass(frozen=True)
class Report:
    name: str  # `neuronllm report NAME`
    write: Callable[[Options], None]  # writes every output (each atomically)
    caption: str  # its outputs' caption in `snakemake --report`: workflow/report/<caption>
    outputs: tuple[str, ...] = ()  # the file options it writes beside --out, each required
    optional_outputs: tuple[str, ...] = ()  # file options it writes when given (table1: its forest plot)
    needs: tuple[str, ...] = ()  # other options it requires (not files it writes)
    reads: Callable[[Options], list[str]] = _metrics  # the files it reads: no output may be one of them
    check: Callable[[Options], None] = _nothing  # option rules of its own, checked before anything is read

    @property
    def caption_path(self) -> str:
        """The caption as a rule in workflow/rules/ names it."""
        return f"../report/{self.caption}"

    def missing(self, options: Options) -> list[str]:
        """The required options not given, as flags ("--latex")."""
        return ["--" + name.replace("_", "-") for name in (*self.outputs, *self.needs) if not options.get(name)]

    def output_paths(self, options: Options) -> list[str]:
        given = [options[name] for name in self.optional_outputs if options.get(name)]
        return [options["out"], *(options[name] for name in self.outputs), *given]


# -- the tables (one per table kind) ------------------------------------------------------------------------


def _check_table(kind: str) -> Callable[[Options], None]:
    def check(options: Options) -> None:
        if kind == "table7" and options.get("budget") is not None:
            raise UserError("table7 shows every budget of its task: --budget does not apply (use --report-task)")
        if kind != "table7" and options.get("report_task") is not None:
            raise UserError(f"--report-task applies to table7 only, not {kind}")
        if (options.get("png") or options.get("pdf")) and (kind != "table1" or not (options["png"] and options["pdf"])):
            raise UserError("--png and --pdf (the forest plot) go together, with table1 only")

    return check


def _write_table(kind: str) -> Callable[[Options], None]:
    def write(options: Options) -> None:
        from neuronllm.report import write_report

        write_report(
            kind,
            options["metrics"],
            options["out"],
            options["latex"],
            budget=options.get("budget"),
            task=options.get("report_task"),
            config=options.get("config"),
            forest=(options["png"], options["pdf"]) if options.get("png") else None,
        )

    return write


# -- the other reports ----------------------------------------------------------------------------------------


def _figure_sets(options: Options) -> dict[str, str | Path]:
    pairs = [item.partition("=") for item in options.get("neuron_sets") or []]
    if not pairs or any(not sep or not task or not path for task, sep, path in pairs):
        raise UserError("the figure needs --neuron-sets TASK=PATH ...")
    tasks = [task for task, _, _ in pairs]
    if len(set(tasks)) < len(tasks):
        raise UserError(f"--neuron-sets names task {next(t for t in tasks if tasks.count(t) > 1)!r} twice")
    return {task: path for task, _, path in pairs}


def _check_figure(options: Options) -> None:
    _figure_sets(options)


def _write_figure(options: Options) -> None:
    from neuronllm.report.figure import layer_figure

    layer_figure(_figure_sets(options), options["out"], options["pdf"])


def _write_csv(options: Options) -> None:
    from neuronllm.report.tidy import write_csv

    write_csv(options["metrics"], options["out"])


def _write_specificity(options: Options) -> None:
    from neuronllm.report.specificity import write_specificity

    o = options
    write_specificity(o["metrics"], o["out"], o["latex"], o["pdf"], o["png"], config=o.get("config"))


def _write_transfer(options: Options) -> None:
    from neuronllm.report.transfer_figures import write_transfer

    o = options
    write_transfer(
        o["plan"], o["out"], o["latex"], o["png"], o["pdf"], o["csv"], o["sweep_csv"], o["sweep_dir"], o["resamples"]
    )


def _write_stability(options: Options) -> None:
    from neuronllm.report.stability import write_stability

    o = options
    write_stability(o["plan"], o["out"], o["latex"], o["png"], o["csv"], o["resamples"])


TABLE_CAPTION = "tables.rst"
REPORTS: dict[str, Report] = {
    **{
        kind: Report(
            kind,
            _write_table(kind),
            TABLE_CAPTION,
            ("latex",),
            optional_outputs=("png", "pdf") if kind == "table1" else (),
            check=_check_table(kind),
        )
        for kind in KINDS
    },
    "specificity": Report("specificity", _write_specificity, "specificity.rst", ("latex", "png", "pdf")),
    "figure": Report(
        "figure",
        _write_figure,
        "layers.rst",
        ("pdf",),
        reads=lambda options: [str(path) for path in _figure_sets(options).values()],
        check=_check_figure,
    ),
    "csv": Report("csv", _write_csv, "metrics_csv.rst"),
    "transfer": Report(
        "transfer",
        _write_transfer,
        "transfer.rst",
        ("latex", "png", "pdf", "csv", "sweep_csv"),
        needs=("plan", "sweep_dir"),
        reads=lambda options: [],
    ),
    "stability": Report(
        "stability",
        _write_stability,
        "stability.rst",
        ("latex", "png", "csv"),
        needs=("plan",),
        reads=lambda options: [],
    ),
}
# Outputs of a report with a caption of their own (the transfer's dose-response points and figures, Table 1's
# forest plot).
EXTRA_CAPTIONS = {"dose_response": "../report/dose_response.rst", "forest": "../report/forest.rst"}
# An output's category in `snakemake --report`, by what it is (a folder of figures counts as png).
CATEGORY = {"md": "Tables", "png": "Figures", "csv": "Data"}
REPORT_NAMES = tuple(REPORTS)


def get_report(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise UserError(f"unknown report {name!r}: expected one of {', '.join(REPORTS)}") from None


__all__ = ["CATEGORY", "EXTRA_CAPTIONS", "REPORTS", "REPORT_NAMES", "TABLE_CAPTION", "Report", "get_report"]
