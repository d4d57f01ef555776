import json
import re
from pathlib import Path

import pytest

from neuronllm import report
from neuronllm.errors import UserError
from neuronllm.neurons import Neuron, NeuronSet

FIXTURES = Path(__file__).parents[1] / "fixtures" / "report"
EMBEDDED_LABEL = "SmolLM2-135M-Instruct (embedded)"


@pytest.fixture(scope="module")
def metrics():
    return report.load_metrics(sorted(FIXTURES.glob("*.json")))


def grid(table):
    """{(row label(s), "Group Leaf"): Cell} for looking cells up by what the reader sees."""
    columns = [f"{group} {leaf}".strip() for group, leaves in table.groups for leaf in leaves]
    return {(" ".join(row.labels), column): cell for row in table.rows for column, cell in zip(columns, row.cells)}


def squeeze(markdown):
    """tabulate pads cells to the column width: compare rows with single spaces around the bars."""
    return re.sub(r" *(?<!\\)\| *", " | ", markdown)


def only(tables, title_part):
    found = [t for t in tables if title_part in t.title]
    assert len(found) == 1, [t.title for t in tables]
    return found[0]


def write_metrics(tmp_path, name, **overrides):
    obj = json.loads((FIXTURES / "embedded-ner-cni-k100.json").read_text())
    obj.update(overrides)
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return path


# ----------------------------------------------------------------------------------------------- Table 1


def test_table1_hand_computed_cells(metrics):
    table = only(report.table1(metrics), EMBEDDED_LABEL)
    cells = grid(table)
    # ner original 0.40/0.30; tn deg/good 0.30/0.21 -> |0.40-0.30|/0.40 = 25.0, |0.30-0.21|/0.30 = 30.0
    assert cells[("TN", "NER Deg")].text == "25.0/30.0"
    # tn enh/good 0.42/0.27: accuracy up but comprehension down -> Fail
    assert cells[("TN", "NER Enh")].text == "Fail"
    # qrnca deg/good 0.44/0.27: a degrader that raised accuracy -> Fail
    assert cells[("QRNCA", "NER Deg")].text == "Fail"
    # cni uses deg/both (0.20/0.15), not deg/good (0.30/0.24)
    assert cells[("NeuronLLM", "NER Deg")].text == "50.0/50.0"
    assert cells[("NeuronLLM", "Sentiment Enh")].text == "10.0/10.0"


def test_table1_averages_are_signed_means(metrics):
    cells = grid(only(report.table1(metrics), EMBEDDED_LABEL))
    assert cells[("NeuronLLM", "Average Enh")].text == "17.5/15.0"  # (25+10)/2, (20+10)/2
    assert cells[("TN", "Average Deg")].text == "25.0/27.5"  # (25+25)/2, (30+25)/2
    # TN Enh: RAC (+5 +5)/2 = 5.0; RCC (-10 [NER Fail] +10)/2 = 0.0 -> not a Fail, but one of its cells is
    assert cells[("TN", "Average Enh")].text == "5.0/0.0, 1 Fail"
    # QRNCA Deg: RAC (-10 [NER acc rose] +10)/2 = 0.0; RCC (+10 +10)/2 = 10.0
    assert cells[("QRNCA", "Average Deg")].text == "0.0/10.0, 1 Fail"


def test_table1_missing_task_renders_dash(metrics):
    cells = grid(only(report.table1(metrics), EMBEDDED_LABEL))
    assert cells[("KN", "NER Deg")].text == "10.0/10.0"
    assert cells[("KN", "Sentiment Deg")].text == report.MISSING
    assert cells[("KN", "Average Deg")].text == report.MISSING  # an average over fewer tasks would mislead
    assert [row.labels[0] for row in only(report.table1(metrics), EMBEDDED_LABEL).rows] == [
        "NeuronLLM",
        "NeuronLLM, K good (equal budget)",
        "TN",
        "QRNCA",
        "KN",
    ]


def test_table1_best_and_second_marks(metrics):
    table = only(report.table1(metrics), EMBEDDED_LABEL)
    cells = grid(table)
    assert cells[("NeuronLLM", "NER Enh")].mark == "best"
    assert cells[("QRNCA", "NER Enh")].mark == "second"  # 15.0/10.0 beats KN's 0.0/0.0, TN failed
    assert cells[("TN", "NER Enh")].mark == ""
    assert cells[("QRNCA", "Average Enh")].mark == ""  # averages carry no interval, so no mark
    markdown = squeeze(report.to_markdown([table]))
    assert (
        "| TN | <u>25.0/30.0</u> | Fail | <u>25.0/25.0</u> | <u>5.0/10.0</u> | 25.0/27.5 | 5.0/0.0, 1 Fail |"
        in markdown
    )
    assert "| NeuronLLM | **50.0/50.0** |" in markdown
    latex = report.to_latex([table])
    assert r"\textbf{50.0/50.0}" in latex and r"\underline{25.0/30.0}" in latex


def test_mark_best_ranks_rac_then_rcc_and_skips_fail_and_zero():
    def row(label, *cells):
        return report.Row([label], [report.effect_cell(c) for c in cells])

    def ok(rac, rcc):
        return {"rac": rac, "rcc": rcc, "fail": False}

    table = report.Table(
        "t",
        "c",
        ["Method"],
        [("", ["x", "y"])],
        rows=[
            row("a", ok(10.0, 5.0), ok(0.0, 0.0)),
            row("b", ok(10.0, 7.0), {"rac": 99.0, "rcc": 99.0, "fail": True}),
            row("c", ok(10.04, 7.04), ok(0.0, 0.0)),  # prints 10.0/7.0: tied with b on what the reader sees
            row("d", ok(9.0, 50.0), None),
        ],
    )
    report.mark_best(table)
    marks = [[cell.mark for cell in r.cells] for r in table.rows]
    assert marks == [["second", ""], ["best", ""], ["best", ""], ["", ""]]


def test_mark_best_needs_two_rows():
    table = report.Table(
        "t",
        "c",
        ["Method"],
        [("", ["x"])],
        rows=[report.Row(["a"], [report.effect_cell({"rac": 1.0, "rcc": 1.0, "fail": False})])],
    )
    report.mark_best(table)
    assert table.rows[0].cells[0].mark == ""


def test_table1_budget_choice(metrics):
    default = grid(only(report.table1(metrics), EMBEDDED_LABEL))
    assert default[("NeuronLLM", "NER Deg")].text == "50.0/50.0"  # K = 100 by default
    small = only(report.table1(metrics, budget=10), EMBEDDED_LABEL)
    assert "K = 10" in small.title
    assert grid(small)[("NeuronLLM", "NER Deg")].text == "10.0/10.0"
    with pytest.raises(UserError, match="budget 7"):
        report.table1(metrics, budget=7)


def test_caption_names_what_produced_the_table(metrics):
    table = only(report.table1(metrics, config="config/tiny.yaml"), EMBEDDED_LABEL)
    for part in (
        EMBEDDED_LABEL,
        "[embedded]",
        "answer format: text",
        "data: shipped",
        "eval instances: 40",
        "seed: 0",
        "steps: 8",
        "budget K: 100",
        "config: tiny.yaml",
        "original (unintervened) Acc/Com %: NER 40.0/30.0, Sentiment 80.0/60.0",
    ):
        assert part in table.caption, part


# ----------------------------------------------------------------------------------------------- paper beside ours


def test_paper_side_by_side_for_a_paper_model(metrics):
    tables = report.table1(metrics)
    llama = only(tables, "LLaMA 2-7B, K")
    assert llama.side_by_side
    cells = grid(llama)
    assert cells[("NeuronLLM", "NER Deg")].text == "50.0/50.0"
    assert cells[("NeuronLLM", "NER Deg")].paper == "53.3/64.0"
    markdown = squeeze(report.to_markdown([llama]))
    assert "| NeuronLLM | 50.0/50.0 \\| 53.3/64.0 | 20.0/10.0 \\| 25.6/46.0 | 50.0/50.0 \\| 51.4/66.5 |" in markdown
    assert r"50.0/50.0 $|$ 53.3/64.0" in report.to_latex([llama])


def test_paper_reference_appended_for_other_models(metrics):
    embedded_only = [m for m in metrics if m["model"] == "embedded"]
    tables = report.table1(embedded_only)
    assert len(tables) == 2 and not tables[0].side_by_side
    reference = tables[1]
    assert "different model" in reference.title and "LLaMA 2-7B" in reference.title
    assert grid(reference)[("QRNCA", "Commonsense Deg")].text == "Fail"
    # only the paper's own model gets no reference table
    assert len(report.table1([m for m in metrics if m["model"] != "embedded"])) == 1


def test_table7_side_by_side_only_for_llama7b_commonsense(tmp_path):
    path = write_metrics(tmp_path, "llama-cs-k10.json", model="meta-llama/Llama-2-7b-hf", task="commonsense", budget=10)
    tables = report.table7(report.load_metrics([path]))
    assert len(tables) == 1 and tables[0].side_by_side
    assert grid(tables[0])[("NeuronLLM", "K = 10 Enh")].paper == "7.1/18.0"
    assert grid(tables[0])[("NeuronLLM", "K = 10 Deg")].paper == "17.2/12.0"


# ----------------------------------------------------------------------------------------------- Table 5, ablation, 7


def test_table5_common_neurons(metrics):
    tables = report.table5(metrics)
    cells = grid(tables[0])
    assert cells[("Deg", "NER")].text == "25.0/20.0"
    assert cells[("Enh", "Sentiment")].text == "Fail"  # acc 0.80 -> 0.76 under an enhancer
    assert cells[("Enh", "AVERAGE")].text == "2.5/5.0, 1 Fail"  # (+10 - 5)/2, (+10 + 0)/2
    assert all(cell.mark == "" for row in tables[0].rows for cell in row.cells)
    assert "different model" in tables[-1].title
    assert grid(tables[-1])[("Deg", "ComSense")].text == "32.0/28.0"


def test_ablation_good_bad_both(metrics):
    table = only(report.ablation(metrics), EMBEDDED_LABEL)
    cells = grid(table)
    assert cells[("NeuronLLM Deg", "NER Good")].text == "25.0/20.0"
    assert cells[("NeuronLLM Deg", "NER Bad")].text == "10.0/10.0"
    assert cells[("NeuronLLM Enh", "NER Bad")].text == "5.0/0.0"
    assert cells[("TN-enabled Deg", "NER Both")].text == "30.0/30.0"
    assert cells[("TN-enabled Enh", "NER Bad")].text == report.MISSING
    # Deg rows are ranked among Deg rows only: TN's 25.0/30.0 beats NeuronLLM's 25.0/20.0 on RCC
    assert cells[("TN-enabled Deg", "NER Good")].mark == "best"
    assert cells[("NeuronLLM Deg", "NER Good")].mark == "second"
    assert cells[("NeuronLLM Enh", "NER Good")].mark == "second"  # 10.0/10.0 behind QRNCA's 15.0/10.0


def test_table7_budgets_and_task(metrics):
    with pytest.raises(UserError, match="task"):
        report.table7(metrics)  # ner and sentiment, no commonsense: ambiguous
    with pytest.raises(UserError, match="did you mean 'ner'"):
        report.table7(metrics, task="nerr")
    table = only(report.table7(metrics, task="ner"), EMBEDDED_LABEL)
    assert [group for group, _ in table.groups] == ["K = 10", "K = 100"]
    cells = grid(table)
    assert cells[("NeuronLLM", "K = 10 Enh")].text == "5.0/0.0"
    assert cells[("NeuronLLM", "K = 10 Deg")].text == "10.0/10.0"
    assert cells[("TN", "K = 10 Deg")].text == "0.0/0.0"
    assert cells[("QRNCA", "K = 10 Enh")].text == report.MISSING
    assert cells[("TN", "K = 100 Enh")].text == "Fail"


# ----------------------------------------------------------------------------------------------- output files


def _strip_escaped_braces(text):
    return text.replace(r"\{", "").replace(r"\}", "")


@pytest.mark.parametrize("kind", ["table1", "table5", "ablation", "table7"])
def test_latex_structure(metrics, kind):
    latex = report.to_latex(report.build_tables(kind, metrics, task="ner"))
    assert latex.count(r"\begin{tabular}") == latex.count(r"\end{tabular}") >= 2
    assert latex.count(r"\begin{table}") == latex.count(r"\end{table}")
    body = _strip_escaped_braces(latex)
    assert body.count("{") == body.count("}")
    for block in re.findall(r"\\begin\{tabular\}\{([lc]+)\}(.*?)\\end\{tabular\}", latex, flags=re.S):
        spec, rows = block
        for line in rows.splitlines():
            if line.endswith(r"\\") and r"\multicolumn" not in line:
                assert line.count(" & ") == len(spec) - 1, line
    assert "–" not in latex  # the missing-cell dash becomes LaTeX's "--"
    if kind != "table5":
        assert " -- " in latex


def test_write_report_writes_both_files(tmp_path):
    paths = sorted(FIXTURES.glob("*.json"))
    out_md, out_tex = tmp_path / "out" / "table1.md", tmp_path / "out" / "table1.tex"
    report.write_report("table1", paths, out_md, out_tex, config="config/tiny.yaml")
    assert "## Table 1" in out_md.read_text() and "tiny.yaml" in out_md.read_text()
    assert r"\begin{tabular}" in out_tex.read_text()
    assert sorted(p.name for p in out_md.parent.iterdir()) == ["table1.md", "table1.tex"]  # no temp files left
    with pytest.raises(UserError, match="did you mean 'table1'"):
        report.write_report("tabel1", paths, out_md, out_tex)


# ----------------------------------------------------------------------------------------------- malformed input


def test_malformed_metrics_name_the_file(tmp_path):
    missing = write_metrics(tmp_path, "no-original.json", original=None)
    with pytest.raises(UserError, match="no-original.json"):
        report.load_metrics([missing])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(UserError, match="broken.json"):
        report.load_metrics([broken])
    percent = write_metrics(tmp_path, "percent.json", original={"acc": 40.0, "comprehension": 30.0})
    with pytest.raises(UserError, match="percent.json.*fraction"):
        report.load_metrics([percent])
    with pytest.raises(UserError, match="not found"):
        report.load_metrics([tmp_path / "absent.json"])


def test_stored_values_must_match_the_definitions(tmp_path):
    obj = json.loads((FIXTURES / "embedded-ner-cni-k100.json").read_text())
    obj["conditions"]["deg/both"]["rac"] = 0.5  # a fraction where a percentage belongs
    path = tmp_path / "fraction-rac.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(UserError, match="fraction-rac.json.*stored rac"):
        report.load_metrics([path])
    obj["conditions"]["deg/both"]["rac"] = 50.0
    obj["conditions"]["deg/both"]["fail"] = True
    path.write_text(json.dumps(obj))
    with pytest.raises(UserError, match="stored fail"):
        report.load_metrics([path])


def test_duplicate_metrics_are_rejected(tmp_path):
    copy = write_metrics(tmp_path, "copy.json")
    with pytest.raises(UserError, match="copy.json"):
        report.load_metrics([FIXTURES / "embedded-ner-cni-k100.json", copy])


def test_partial_condition_set_renders_dash(tmp_path):
    obj = json.loads((FIXTURES / "embedded-ner-cni-k100.json").read_text())
    del obj["conditions"]["enh/both"]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(obj))
    cells = grid(report.table1(report.load_metrics([path]))[0])
    assert cells[("NeuronLLM", "NER Enh")].text == report.MISSING
    assert cells[("NeuronLLM", "NER Deg")].text == "50.0/50.0"


# ----------------------------------------------------------------------------------------------- figure


def _neuron_set(path, good, bad, layers=4):
    NeuronSet(
        [Neuron(l, i, 1.0) for l, i in good],
        [Neuron(l, i, -1.0) for l, i in bad],
        [8] * layers,
        {"method": "cni", "budget": 3},
    ).save(path)
    return path


def test_layer_counts_and_figure(tmp_path):
    ner = _neuron_set(tmp_path / "ner.json", good=[(0, 1), (0, 2), (3, 0)], bad=[(1, 4), (3, 5)])
    sentiment = _neuron_set(tmp_path / "sentiment.json", good=[(2, 2)], bad=[])
    good, bad = report.layer_counts(NeuronSet.load(ner))
    assert good == [2, 0, 0, 1] and bad == [0, 1, 0, 1]
    out_png, out_pdf = tmp_path / "fig" / "layers.png", tmp_path / "fig" / "layers.pdf"
    report.layer_figure({"sentiment": sentiment, "ner": ner}, out_png, out_pdf)
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out_png.stat().st_size > 1000
    assert out_pdf.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in out_png.parent.iterdir()) == ["layers.pdf", "layers.png"]


def test_layer_figure_needs_sets(tmp_path):
    with pytest.raises(UserError):
        report.layer_figure({}, tmp_path / "a.png", tmp_path / "a.pdf")


# ----------------------------------------------------------------------------------------------- paper numbers

CELL = re.compile(r"^(\d+\.\d+/\d+\.\d+|Fail)$")


def _leaves(tree):
    if isinstance(tree, str):
        yield tree
    else:
        for value in tree.values():
            yield from _leaves(value)


def test_paper_numbers_spot_checks():
    paper = report.load_paper_numbers()
    assert paper["hf_ids"] == {
        "LLaMA 2-7B": "meta-llama/Llama-2-7b-hf",
        "Baichuan 2-7B": "baichuan-inc/Baichuan2-7B-Base",
        "LLaMA 2-13B": "meta-llama/Llama-2-13b-hf",
    }
    assert any("base" in note and "chat" in note for note in paper["_notes"])
    t1 = paper["table1"]
    assert t1["LLaMA 2-7B"]["NeuronLLM"]["NER"]["Deg"] == "53.3/64.0"
    assert t1["LLaMA 2-7B"]["QRNCA"]["Commonsense"]["Deg"] == "Fail"
    assert t1["LLaMA 2-7B"]["TN"]["NER"]["Enh"] == "13.3/34.0"  # printed "13.3/ 34.0"
    assert t1["Baichuan 2-7B"]["QRNCA"]["Average"]["Enh"] == "Fail"
    assert t1["LLaMA 2-13B"]["RANDOM"]["Average"]["Deg"] == "0.4/0.6"
    assert paper["table5"]["Baichuan 2-7B"]["Deg"]["ComSense"] == "62.19/73.1"
    assert paper["table5"]["LLaMA 2-13B"]["Enh"]["AVERAGE"] == "5.4/6.4"
    assert paper["ablation"]["LLaMA 2-7B"]["NeuronLLM"]["Enh"]["Chunking"]["Bad"] == "Fail"
    assert paper["ablation"]["LLaMA 2-13B"]["NeuronLLM"]["Deg"]["AVERAGE"]["Both"] == "33.0/39.9"
    assert paper["ablation"]["Baichuan 2-7B"]["QRNCA-enabled"]["Enh"]["Commonsense"]["Good"] == "Fail"
    budgets = paper["table7"]["budgets"]
    assert list(budgets) == [str(b) for b in (10, 25, 50, 100, 150, 200, 250, 500)]
    assert budgets["10"]["NeuronLLM"]["Enh"] == "7.1/18.0"
    assert budgets["500"]["QRNCA"]["Deg"] == "29.6/24.0"
    assert budgets["100"]["TN"]["Deg"] == t1["LLaMA 2-7B"]["TN"]["Commonsense"]["Deg"]


def test_paper_numbers_shape():
    paper = report.load_paper_numbers()
    for model in paper["hf_ids"]:
        assert list(paper["table1"][model]) == ["NeuronLLM", "TN", "QRNCA", "KN", "ACT", "RANDOM"]
        assert list(paper["ablation"][model]) == ["NeuronLLM", "TN-enabled", "QRNCA-enabled"]
        assert list(paper["table5"][model]) == ["Deg", "Enh"]
    cells = [
        c
        for key in ("table1", "table5", "ablation", "table7")
        for c in _leaves(paper[key])
        if c not in ("LLaMA 2-7B", "Commonsense")
    ]
    assert len(cells) == 3 * 6 * 5 * 2 + 3 * 2 * 5 + 3 * 3 * 2 * 5 * 3 + 8 * 3 * 2
    bad = [c for c in cells if not CELL.match(c)]
    assert bad == []


def test_paper_averages_agree_with_their_rows():
    """A transcription check: where no cell Fails, the printed Average is the mean of the printed cells."""
    paper = report.load_paper_numbers()
    tasks = ["NER", "Chunking", "Sentiment", "Commonsense"]

    def check(values, average):
        if "Fail" in values + [average]:
            return 0
        for k in (0, 1):
            mean = sum(float(v.split("/")[k]) for v in values) / len(values)
            assert abs(mean - float(average.split("/")[k])) < 0.08, (values, average)
        return 1

    checked = 0
    for rows in paper["table1"].values():
        for row in rows.values():
            for d in ("Deg", "Enh"):
                checked += check([row[t][d] for t in tasks], row["Average"][d])
    for rows in paper["ablation"].values():
        for by_eval in rows.values():
            for row in by_eval.values():
                for part in ("Good", "Bad", "Both"):
                    checked += check([row[t][part] for t in tasks], row["AVERAGE"][part])
    assert checked > 60


def test_tasks_of_different_evaluation_sizes_share_a_table_and_the_caption_says_each(tmp_path):
    # The default evaluates every shipped instance: NER and Sentiment ship different numbers.
    ner = write_metrics(tmp_path, "ner.json", eval_instances=98)
    sentiment = write_metrics(tmp_path, "sentiment.json", task="sentiment", eval_instances=92)
    table = only(report.table1(report.load_metrics([ner, sentiment])), EMBEDDED_LABEL)
    assert "eval instances: NER 98, Sentiment 92" in table.caption


def test_one_task_at_two_evaluation_sizes_is_refused(tmp_path):
    cni = write_metrics(tmp_path, "cni.json", eval_instances=98)
    tn = write_metrics(tmp_path, "tn.json", method="tn", eval_instances=30)
    with pytest.raises(
        UserError, match=r"metrics of different evaluation sizes in one table: .*cni.json \(98\) and .*tn.json \(30\)"
    ):
        report.table1(report.load_metrics([cni, tn]))
