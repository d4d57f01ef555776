"""Where shipped files live, decided once (neuronllm.package_data): a checkout, known by its Snakefile, reads its
own folders; an installed package (site-packages/neuronllm/_data, _tasks, _workflow) the wheel's copies. And
`neuronllm workflow DIR`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from neuronllm import package_data
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
    monkeypatch.setattr(package_data, "package_dir", lambda: str(package))
    assert data.shipped_data_dir() == package / "_data"
    assert package_data.tasks_dir() == str(package / "_tasks")


def test_shipped_data_in_the_repository():
    assert data.shipped_data_dir() == ROOT / "data"


def test_workflow_of_an_installed_package_is_copied_out(tmp_path, monkeypatch):
    package = installed_layout(tmp_path)
    monkeypatch.setattr(package_data, "package_dir", lambda: str(package))
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
    """pyproject.toml's force-include targets are the places package_data.py looks in."""
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"][
        "force-include"
    ]
    places = package_data.WHEEL_PLACES
    assert include["data"] == f"neuronllm/{places['data']}" and include["tasks"] == f"neuronllm/{places['tasks']}"
    assert {include[name] for name in workflow_files.ENTRIES} == {
        f"neuronllm/{places['workflow']}/{n}" for n in workflow_files.ENTRIES
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


def test_a_checkout_is_known_by_its_marker_and_a_stray_data_folder_is_not(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "neuronllm"
    package.mkdir(parents=True)
    (package.parent / "data").mkdir()  # someone else's data/ beside an installed package
    (package.parent / "data" / "make_shipped_data.py").write_text("")  # the old marker of data/ alone
    assert package_data.shipped_dir("data", str(package)) == str(package / "_data")
    assert package_data.shipped_dir("tasks", str(package)) == str(package / "_tasks")
    (package.parent / package_data.REPOSITORY_MARKER).write_text("")
    assert package_data.shipped_dir("data", str(package)) == str(package.parent / "data")
    assert package_data.shipped_dir("workflow", str(package)) == str(package.parent)


def test_tasks_data_and_workflow_read_the_one_decision() -> None:
    root = package_data.checkout_root()
    assert root is not None  # the tests run from the checkout
    assert package_data.tasks_dir() == str(Path(root) / "tasks")
    assert data.shipped_data_dir() == Path(root) / "data"
    assert workflow_files.workflow_source() == Path(root)


def test_no_other_module_names_a_wheel_place() -> None:
    """The wheel's folder names appear in package_data.py alone (pyproject.toml puts them there)."""
    root = Path(package_data.package_dir())
    named = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "package_data.py"
        and any(
            f'"{place}"' in p.read_text() or f"/ {place!r}" in p.read_text()
            for place in package_data.WHEEL_PLACES.values()
        )
    ]
    assert named == []
