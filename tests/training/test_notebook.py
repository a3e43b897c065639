"""The training notebook runs top to bottom (on tiny synthetic data, the MLP, one epoch)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("keras")

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "train_mnist_model.ipynb"


def test_notebook_trains_evaluates_and_plots(mnist_dir, tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    parameters.source = (
        f'DATA_DIR = "{mnist_dir}"\nARCH = "mlp"\nEPOCHS = 1\nOUT_DIR = "{tmp_path / "out"}"'
    )
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute(
        cwd=str(NOTEBOOK.parent)
    )
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "300 training images, 100 test images" in text and "accuracy" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4  # samples + 3 report plots
    assert (tmp_path / "out" / "report" / "confusion_matrix.png").is_file()
