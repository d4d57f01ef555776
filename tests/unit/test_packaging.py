"""Where an installed package (the wheel's layout: site-packages/neuronllm/_data, _tasks, _workflow)
finds its shipped files, and `neuronllm workflow DIR`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from neuronllm.errors import UserError
from neuronllm.pipeline import workflow_files
from neuronllm.tasks import data

ROOT = Path(__file__).resolve().parents[2]


def installed_layout(tmp_path: Path) -> Path:
    """site-packages/ with the wheel's copies and, beside the package, another distribution's data/."""
    package = tmp_path / "site-packages" / "neuronllm"
    (package / "_data").mkdir(parents=True)
    (package.parent / "data").mkdir()  # e.g. a top-level `data` package of some other project
    (package / "_workflow").mkdir()
    for name in workflow_files.ENTRIES:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, package / "_workflow" / name)
    return package


def test_shipped_data_of_an_installed_package_is_its_own(tmp_path, monkeypatch):
    package = installed_layout(tmp_path)
    monkeypatch.setattr(data, "__file__", str(package / "tasks" / "data.py"))
    assert data.shipped_data_dir() == package / "_data"


def test_shipped_data_in_the_repository():
    assert data.shipped_data_dir() == ROOT / "data"


def test_workflow_of_an_installed_package_is_copied_out(tmp_path, monkeypatch):
    package = installed_layout(tmp_path)
    monkeypatch.setattr(workflow_files, "__file__", str(package / "pipeline" / "workflow_files.py"))
    assert workflow_files.workflow_source() == package / "_workflow"
    copied = workflow_files.copy_workflow(tmp_path / "mine")
    assert [p.name for p in copied] == list(workflow_files.ENTRIES)
    assert (tmp_path / "mine" / "workflow" / "rules" / "common.smk").read_text() == (
        ROOT / "workflow" / "rules" / "common.smk"
    ).read_text()
    assert (tmp_path / "mine" / "profiles" / "slurm" / "config.yaml").is_file()


def test_workflow_is_never_copied_over_existing_files(tmp_path):
    target = tmp_path / "mine"
    (target / "config").mkdir(parents=True)
    (target / "config" / "config.yaml").write_text("mine")
    with pytest.raises(UserError, match="already exist"):
        workflow_files.copy_workflow(target)
    assert (target / "config" / "config.yaml").read_text() == "mine"
    assert sorted(p.name for p in target.iterdir()) == ["config"]  # nothing copied beside it


def test_workflow_into_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a directory"):
        workflow_files.copy_workflow(tmp_path / "file")


def test_the_wheel_carries_what_the_installed_package_looks_for():
    """pyproject.toml's force-include targets are the paths tasks/data.py, package_data.py and
    pipeline/workflow_files.py look for."""
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"][
        "force-include"
    ]
    assert include["data"] == "neuronllm/_data" and include["tasks"] == "neuronllm/_tasks"
    assert {include[name] for name in workflow_files.ENTRIES} == {
        f"neuronllm/_workflow/{n}" for n in workflow_files.ENTRIES
    }
    assert include["neuronllm_lm_eval.pth"] == "neuronllm_lm_eval.pth"


def test_workflow_command(tmp_path, capsys):
    from neuronllm.cli import main

    assert main(["workflow", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "Snakefile").is_file()
    capsys.readouterr()
    assert main(["workflow", str(tmp_path / "run")]) == 2  # a second copy would overwrite the first
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exist" in err[0], err
