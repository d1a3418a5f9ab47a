"""Embedding's argument checks raise torch's AssertionError with torch's exact text even where Python
drops assert statements (-O) or pytest rewrites them (the xptorch pytest plugin marks the package)."""
import subprocess
import sys

CODE = """
import xptorch
from xptorch import nn
msgs = []
for kw in ({"padding_idx": 4}, {"padding_idx": -5}, {"_weight": xptorch.ones(3, 3)}):
    try:
        nn.Embedding(4, 3, **kw)
    except AssertionError as e:
        msgs.append(str(e))
try:
    nn.Embedding.from_pretrained(xptorch.ones(3))
except AssertionError as e:
    msgs.append(str(e))
print("|".join(msgs))
"""


def test_checks_hold_under_python_O():
    out = subprocess.run([sys.executable, "-O", "-c", CODE], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().split("|") == [
        "Padding_idx must be within num_embeddings",
        "Padding_idx must be within num_embeddings",
        "Shape of weight does not match num_embeddings and embedding_dim",
        "Embeddings parameter is expected to be 2-dimensional",
    ]
