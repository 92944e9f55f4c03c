"""The static tampering scan: it flags what code does to the grader's checks, never what its words say."""

import pytest

from autograder.runner.tampering import scan

HONEST = {
    "a name and attribute called library": "class Shelf:\n    library = ['books']\nx = Shelf.library[0]",
    "a comment": "def softmax(x, dim=-1):\n    # subtracting the max guards against overflow\n    return x",
    "a docstring": 'def f():\n    """Not model.generate.__wrapped__ nor f.__code__: plain."""\n    return 1',
    "a string": 'NOTE = "graded by autograder.runner; no __closure__ or _DisableTorchDispatch here"',
    "a local variable guards": "def f(eos):\n    guards = {'eos': eos}\n    return guards['eos']",
    "an attribute named guards": "class Loop:\n    guards = ()\nLoop.guards",
    "helpers named like the grader's": "model = tokenizer = None\ndef check(x):\n    return x\n"
                                       "def expect_close(a, b):\n    return a == b\ncompare = check",
    "the lab's own modules": "from autograder.models import load_pair\n"
                             "from autograder.labs.encoders_decoders.public import check\nimport autograder",
    "getattr of an honest name": "import torch\nf = getattr(torch, 'softmax')",
    "sys.modules of another module": "import sys\nIN_COLAB = 'google.colab' in sys.modules\n"
                                     "m = sys.modules.get('torch')",
    "magics and shell escapes": "!pip install guards\n%pip install autograder.runner\n%matplotlib inline",
    "continuation lines": "ok = (1\n      != 2)\nlabel = ('%d'\n         % 3)",
    "a cell that does not parse": "x = model.generate.__wrapped__(",
}

# source -> (line, the construct named in the message)
TAMPERING = {
    "import autograder.runner.guards as g": (1, "import `autograder.runner.guards`"),
    "from autograder.runner import guards": (1, "import from `autograder.runner`"),
    "from autograder import runner": (1, "import `autograder.runner`"),
    "from autograder.runner.guards import _active": (1, "import from `autograder.runner.guards`"),
    "import autograder\nautograder.runner.guards._active.clear()": (2, "attribute `autograder.runner`"),
    "import importlib\nimportlib.import_module('autograder.runner.guards')":
        (2, "`import_module('autograder.runner.guards')`"),
    "__import__('autograder.runner')": (1, "`__import__('autograder.runner')`"),
    "import sys\ng = sys.modules['autograder.runner.guards']":
        (2, "`sys.modules['autograder.runner.guards']`"),
    "import sys\ng = sys.modules.get('autograder.runner.guards')":
        (2, "`sys.modules.get('autograder.runner.guards')`"),
    "import torch\nraw = torch.softmax.__wrapped__": (2, "attribute `__wrapped__`"),
    "import torch\nraw = getattr(torch.softmax, '__wrapped__', None)": (2, "`getattr(..., '__wrapped__')`"),
    "import torch\ncells = torch.softmax.__closure__": (2, "attribute `__closure__`"),
    "def f(g):\n    return g.__code__": (2, "attribute `__code__`"),
    "import torch\ntorch.softmax.__globals__['_active'].clear()": (2, "attribute `__globals__`"),
    "from inspect import getclosurevars": (1, "import `inspect.getclosurevars`"),
    "import torch\nwith torch._C._DisableTorchDispatch():\n    pass":
        (2, "attribute `_DisableTorchDispatch`"),
    "from torch.utils._python_dispatch import _pop_mode_temporarily":
        (1, "import from `torch.utils._python_dispatch`"),
    "from torch._C import _DisableTorchDispatch": (1, "import `torch._C._DisableTorchDispatch`"),
    "import torch.utils._python_dispatch": (1, "import `torch.utils._python_dispatch`"),
    "with _disable_current_modes():\n    pass": (1, "name `_disable_current_modes`"),
    "%time x = 1\nimport torch\nf = torch.softmax.__wrapped__": (3, "attribute `__wrapped__`"),
    "lib = torch.library.Library('aten', 'IMPL')": (1, "attribute `torch.library`"),
    "from torch.library import Library": (1, "import from `torch.library`"),
    "from torch import library": (1, "import `torch.library`"),
    "import torch.library": (1, "import `torch.library`"),
    "torch._C._dispatch_has_kernel('aten::_softmax')": (1, "attribute `_dispatch_has_kernel`"),
}


@pytest.mark.parametrize("source", HONEST.values(), ids=HONEST)
def test_honest_code_passes(source):
    assert scan(["import torch", source]) is None


@pytest.mark.parametrize("source", TAMPERING, ids=TAMPERING)
def test_each_construct_is_flagged_and_named(source):
    line, construct = TAMPERING[source]
    assert str(scan(["import torch", source])) == f"line {line} of code cell 2: {construct}"


def test_the_first_construct_in_notebook_order_is_named():
    cells = ["x = 1  # guards", "import torch\n\nf = torch.softmax.__wrapped__", "import autograder.runner"]
    finding = scan(cells)
    assert (finding.cell, finding.line, finding.construct) == (1, 3, "attribute `__wrapped__`")
    assert str(finding) == "line 3 of code cell 2: attribute `__wrapped__`"
