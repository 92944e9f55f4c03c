"""The untrusted child: confinement, crash recovery, behavioural guards and the plain-data protocol."""

import os
import sys
import tempfile
import textwrap
import time

import pytest
import torch

from autograder.labs.encoders_decoders import LAB
from autograder.runner import protocol
from autograder.runner.child import Limits
from autograder.runner.confinement import CHILD_UID_BASE, missing
from autograder.runner.hidden import grader_secrets
from autograder.runner.placeholders import model, tokenizer
from autograder.runner.spawner import Zygote
from autograder.runner.student import StudentFailure, StudentProcess

CELLS = [
    "import torch\nfrom autograder.models import load_pair\ntok, lm = load_pair('decoder')",
    """
    def softmax(x, dim=-1):
        e = torch.exp(x - x.max(dim=dim, keepdim=True).values)
        return e / e.sum(dim=dim, keepdim=True)
    """,
    "_saved = torch.softmax\ndef aliased(x, dim=-1):\n    return _saved(x, dim)",
    "def through_c(x, dim=-1):\n    return torch._C._VariableFunctions.softmax(x, dim)",
    "def through_aten(x, dim=-1):\n    return torch.ops.aten._softmax(x, dim, False)",
    "def uses_generate(m, ids):\n    return m.generate(ids, max_new_tokens=2).tolist()",
    "while True:\n    try:\n        pass\n    except BaseException:\n        pass",
    "import os\nos._exit(3)",
    "raise ValueError('a student bug')",
    """
    def crash():
        import os
        os._exit(1)

    def spin():
        while True:
            pass

    def always_equal():
        class Equal:
            def __eq__(self, other):
                return True
        return Equal()

    def fork_bomb():
        import os
        for _ in range(64):
            os.fork()
        return 1

    def identity(*args):
        return args

    def count_ids(tok, text):
        return tok(text)['input_ids']

    def unk_id(tok):
        return tok.unk_token_id

    def whoami():
        import os
        return [os.getuid(), os.getcwd()]

    def peek(folder):
        import os
        try:
            return sorted(os.listdir(folder))
        except OSError as exc:
            return exc.strerror

    def read_only(path):
        import os
        while True:  # the mount holding `path`, seen from its nearest folder this user may reach
            try:
                return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
            except PermissionError:
                path = os.path.dirname(path)

    def leave_file(name):
        with open(name, "w") as handle:
            handle.write("left behind")

    def connect():
        import socket
        socket.create_connection(('127.0.0.1', 9))
    """,
    "print('x' * 10_000_000)",
]


@pytest.fixture(scope="module")
def zygote():
    with Zygote("offline", Limits(cell_timeout=2, call_timeout=2), roles=LAB.roles,
                forbidden=LAB.forbidden) as warm:
        yield warm


@pytest.fixture(scope="module")
def child(zygote):
    process = StudentProcess(zygote, [textwrap.dedent(cell) for cell in CELLS])
    process.start()
    yield process
    process.close()


def test_cells_that_fail_are_recorded_and_skipped(child):
    assert "did not finish" in child.reports[6].error  # an endless loop that swallows the alarm
    assert "ended the process" in child.reports[7].error  # os._exit at top level
    assert child.reports[8].error.startswith("ValueError: a student bug (cell 8")
    assert child.reports[9].error is None  # later cells still ran
    assert 7 in child.fatal and child.fatal <= {6, 7}  # 6 only if the alarm was swallowed
    assert len(child.reports[10].output) < 30_000  # huge output is capped


def test_call_returns_plain_data(child):
    logits = torch.randn(2, 5)
    assert torch.allclose(child.call("softmax", logits), torch.softmax(logits, -1))
    assert child.call("identity", (1, "a"), [2.5], {"k": None}) == ((1, "a"), [2.5], {"k": None})
    assert child.call("identity", {0: "NEGATIVE", "$k": 1.5}) == ({0: "NEGATIVE", "$k": 1.5},)
    assert child.call("count_ids", tokenizer("decoder"), "Love") == [18565]


def test_tokenizer_without_unknown_token_is_a_copy(child):
    """The child makes a copy of its tokenizer that names no unknown token; its own keeps <|endoftext|>."""
    assert child.call("unk_id", tokenizer("decoder", unknown_token=False)) is None
    assert child.call("unk_id", tokenizer("decoder")) == 50256
    assert child.call("count_ids", tokenizer("decoder", unknown_token=False), "Love") == [18565]


@pytest.mark.parametrize("function", ["aliased", "through_c", "through_aten"])
def test_builtin_softmax_is_caught_however_reached(child, function):
    with pytest.raises(StudentFailure, match="by hand") as caught:
        child.call(function, torch.randn(3), forbid=("softmax",))
    assert caught.value.kind == "forbidden"


def test_softmax_guard_is_off_outside_forbidding_calls(child):
    assert child.call("aliased", torch.zeros(2)).tolist() == [0.5, 0.5]


def test_generate_is_forbidden_when_asked(child):
    with pytest.raises(StudentFailure, match="generate"):
        child.call("uses_generate", model("decoder"), torch.tensor([[1, 2]]), forbid=("generate",))


@pytest.mark.parametrize("function, kind", [("crash", "crash"), ("spin", "timeout"),
                                            ("always_equal", "type"), ("missing", "missing")])
def test_bad_calls_fail_cleanly_and_the_child_recovers(child, function, kind):
    with pytest.raises(StudentFailure) as caught:
        child.call(function)
    assert caught.value.kind == kind
    assert child.call("identity", 1) == (1,)


def test_a_function_that_hung_once_is_not_called_again(child):
    with pytest.raises(StudentFailure, match="did not return in time"):
        child.call("spin")
    with pytest.raises(StudentFailure, match="earlier test"):
        child.call("spin")


def test_reaching_into_the_guards_fails_the_behavioural_checks(zygote):
    sneaky = StudentProcess(zygote, ["import torch\n_raw = getattr(torch.softmax, '__wrapped__', None)\n"
                                     "def softmax(x, dim=-1):\n    return torch.exp(x) / torch.exp(x).sum()"])
    with pytest.raises(StudentFailure, match=r"reaches into the grader's checks \(line 2 of code cell 1: "
                                             r"`getattr\(\.\.\., '__wrapped__'\)`\)"):
        sneaky.call("softmax", torch.zeros(2), forbid=("softmax",))
    assert sneaky.call("softmax", torch.zeros(2)).tolist() == [0.5, 0.5]  # unforbidden calls still work
    sneaky.close()


# Honest notebooks in unusual shapes: words like the grader's, IPython magics, PEP 8 continuation lines.
UNUSUAL_CELLS = [
    """
    # subtracting the max guards against overflow
    def softmax(x, dim=-1):
        \"\"\"By hand, not with torch.softmax.__wrapped__.\"\"\"
        e = torch.exp(x - x.amax(dim=dim, keepdim=True))
        return e / e.sum(dim=dim, keepdim=True)
    """,
    "!touch shell_escape_ran\n%pip install nothing\n%matplotlib inline\nlisted = !ls\nMAGICS_DONE = True",
    """
    def keep_going(next_id, eos):
        return (next_id
                != eos)

    def label(step):
        return ('step %d'
                % step)
    """,
    "%%time\nTIMED = 42",
    "%%bash\ntouch bash_ran",
    """
    import numpy as np

    def percents():
        return {'NEGATIVE': np.float64(0.1), 'POSITIVE': np.round(np.float64(99.94), 1)}
    """,
    "import os\ndef state():\n    return [MAGICS_DONE, TIMED, sorted(os.listdir('.'))]",
]


@pytest.fixture(scope="module")
def unusual(zygote):
    process = StudentProcess(zygote, ["import torch", *map(textwrap.dedent, UNUSUAL_CELLS)])
    process.start()
    yield process
    process.close()


def test_words_like_the_graders_are_no_tampering(unusual):
    assert unusual.call("softmax", torch.zeros(2), forbid=("softmax",)).tolist() == [0.5, 0.5]


def test_magics_do_nothing_and_continuation_lines_are_python(unusual):
    assert [unusual.reports[i].error for i in sorted(unusual.reports)] == [None] * (len(UNUSUAL_CELLS) + 1)
    assert unusual.call("state") == [True, 42, []]  # no shell escape or %%bash cell ran
    assert unusual.call("keep_going", 1, 2) is True and unusual.call("keep_going", 2, 2) is False
    assert unusual.call("label", 3) == "step 3"


def test_numpy_float64_results_cross_as_floats(unusual):
    percents = unusual.call("percents")
    assert percents == {"NEGATIVE": 0.1, "POSITIVE": 99.9} and {type(v) for v in percents.values()} == {float}


def test_fork_bomb_is_contained(child):
    with pytest.raises(StudentFailure):
        child.call("fork_bomb")
    assert child.call("identity", 2) == (2,)  # a forked copy never answers in the child's name


def test_no_network(child):
    with pytest.raises(StudentFailure, match="network access is disabled"):
        child.call("connect")


def test_child_runs_unprivileged_in_its_own_empty_folder(child):
    uid, cwd = child.call("whoami")
    assert cwd != os.getcwd() and os.path.basename(cwd).startswith("autograder-child-")
    if os.getuid() == 0:
        assert uid >= CHILD_UID_BASE  # a user of its own: not root, and not shared with other children


@pytest.mark.skipif(os.getuid() != 0, reason="private namespaces need root (or user namespaces)")
def test_child_sees_no_hidden_suites_and_a_private_tmp(child, tmp_path):
    assert child.confinement["mounts"] == "private" and child.confinement["landlock"].startswith("ABI")
    for secret in grader_secrets():
        assert any(secret.iterdir()), secret  # the parent sees the files ...
        assert child.call("peek", str(secret)) in ([], "Permission denied")  # ... the child does not
    with tempfile.NamedTemporaryFile(dir="/tmp", prefix="autograder-test-parent-only-") as mine:
        seen = child.call("peek", "/tmp")
        assert os.path.basename(child.call("whoami")[1]) in seen
        assert os.path.basename(mine.name) not in seen  # the host's /tmp is not the child's
    child.call("leave_file", "/tmp/autograder-test-left-behind")
    assert not os.path.exists("/tmp/autograder-test-left-behind")


@pytest.mark.skipif(os.getuid() != 0, reason="private namespaces need root (or user namespaces)")
def test_child_can_write_nothing_but_its_private_folders(child):
    """Whatever the grader's user can write (as it is the child's user without root): read-only for the
    child, so a_tamper_grader and a_tamper_kit find nothing to change however the grader runs."""
    import autograder
    from autograder.models import kit

    for path in (os.path.dirname(autograder.__file__), sys.prefix, str(kit.ensure()), os.path.expanduser("~"),
                 os.getcwd()):
        assert child.call("read_only", path), path
    assert not child.call("read_only", child.call("whoami")[1]) and not child.call("read_only", "/dev/shm")


@pytest.mark.parametrize("message", [b"\x00\x00\x00\x02[]", b"\x00\x00\x00\x05nope!"])
def test_protocol_rejects_malformed_messages(message):
    import socket

    a, b = socket.socketpair()
    a.sendall(message)
    with pytest.raises(protocol.ProtocolError):
        protocol.receive(b)


def test_protocol_decodes_only_plain_data():
    encoded = protocol.encode({"t": torch.arange(6).reshape(2, 3), "x": (1.5, [True, None])})
    decoded = protocol.decode(encoded)
    assert torch.equal(decoded["t"], torch.arange(6).reshape(2, 3)) and decoded["x"] == (1.5, [True, None])
    with pytest.raises(protocol.ProtocolError):
        protocol.decode({"$tensor": {"dtype": "object", "shape": [1], "data": ""}})
    with pytest.raises(TypeError, match="object of type"):
        protocol.encode(object())


def test_protocol_sends_float_subclasses_as_plain_floats():
    """A float subclass (numpy.float64) crosses as its number, never as the object; other numpy scalars
    (numpy.float32 is no float) and objects are still refused."""
    import numpy as np

    class AlwaysEqual(float):
        def __eq__(self, other):
            return True

        __hash__ = float.__hash__

    decoded = protocol.decode(protocol.encode([np.float64(99.9), AlwaysEqual(1.5)]))
    assert decoded == [99.9, 1.5] and [type(v) for v in decoded] == [float, float]
    for value in (np.float32(1.0), np.int64(3)):
        with pytest.raises(TypeError, match="object of type"):
            protocol.encode(value)


LEAVES_NOTHING = """
import ctypes, psutil
from autograder.runner.spawner import Zygote
from autograder.runner.student import StudentProcess
from autograder.runner.zygote import PR_SET_CHILD_SUBREAPER

ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # as nbgrader's Execute is
with Zygote("offline") as zygote:
    student = StudentProcess(zygote, ["import os, time\\nif os.fork() == 0:\\n    time.sleep(600)"])
    student.start()
    student.close()
print(len(psutil.Process().children()))
"""


def test_closed_zygote_leaves_no_process_behind():
    """Once the grader has closed its zygote, nothing of it is left, not even a zombie: a subreaper that
    runs the grader (nbgrader's Execute, whose kernel calls it) would inherit every dying child."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", LEAVES_NOTHING], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "0"


FORGES = """
import os, socket, struct

PAYLOADS = {"deep": b"[" * 100_000 + b"]" * 100_000,
            "arrays": b'{"ok": true, "value": [' + b",".join([b"[]"] * 200_000) + b"]}",
            "huge": b" " * (20 * 2**20)}

def forged_reply(kind):
    payload = PAYLOADS[kind]
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        if sock.family == socket.AF_UNIX:
            sock.sendall(struct.pack(">I", len(payload)) + payload)
    return 1
"""


@pytest.mark.parametrize("kind", ["deep", "arrays", "huge"])
def test_a_forged_reply_is_refused_and_the_grader_goes_on(zygote, kind):
    """A graded function that writes its own reply to the grader's socket: nested past the parser's
    recursion limit, millions of empty lists (gigabytes to build), or past the size limit."""
    process = StudentProcess(zygote, [FORGES, "def identity(x):\n    return x"])
    try:
        process.start()
        with pytest.raises(StudentFailure, match="refuses") as caught:
            process.call("forged_reply", kind)
        assert caught.value.kind == "type"
        assert process.call("identity", 7) == 7  # a new child: the call after it is graded as usual
    finally:
        process.close()


def test_a_reply_is_capped_by_the_answer_the_call_expects(zygote):
    """A reply may be as large as the call's answer can be, in any form (a float64 tensor, a list of
    floats), and no larger: the same 300,000 numbers pass when the call expects that many and are refused
    unread when it expects a small answer."""
    process = StudentProcess(zygote, ["import torch\ndef numbers(n, as_list):\n"
                                      "    x = torch.rand(n, dtype=torch.float64)\n"
                                      "    return x.tolist() if as_list else x"])
    try:
        process.start()
        for as_list in (False, True):
            assert len(process.call("numbers", 300_000, as_list, answer_size=300_000)) == 300_000
            with pytest.raises(StudentFailure, match="byte limit") as caught:
                process.call("numbers", 300_000, as_list)
            assert caught.value.kind == "type"
    finally:
        process.close()


def test_a_submission_stops_at_its_time_budget(zygote):
    """Slow cells (each within the cell limit) and a function that hangs cost the submission its budget,
    not more: the cells after it do not run and no call is made once it is spent."""
    cells = ["import time\ntime.sleep(1.5)"] * 4 + ["def hang():\n    while True:\n        pass"]
    assert not missing(zygote.confinement())  # warm, and a child of this machine lacks no guarantee
    process = StudentProcess(zygote, cells, deadline=time.monotonic() + 2.5)
    try:
        process.start()
        notes = [report.error or "" for report in process.reports.values()]
        assert any("time budget" in note for note in notes), notes
        assert 4 not in process.reports or "did not run" in (process.reports[4].error or "")
        with pytest.raises(StudentFailure, match="time budget") as caught:
            process.call("hang")
        assert caught.value.kind == "timeout"
    finally:
        process.close()


def test_a_module_of_the_grader_not_yet_loaded_imports_in_the_child(zygote):
    """The student's setup cell imports the lab's public checks, which the zygote never loaded: the sandbox
    must let Python list the folders above the hidden suites (and read nothing in them)."""
    cells = ["from autograder.labs.encoders_decoders.public import check",
             "def where():\n    return check.__module__"]
    process = StudentProcess(zygote, cells)
    try:
        process.start()
        assert [report.error for report in process.reports.values()] == [None, None]
        assert process.call("where") == "autograder.labs.encoders_decoders.public"
    finally:
        process.close()


def test_a_childs_folder_on_the_hosts_disk_holds_what_a_private_tmp_holds(tmp_path, monkeypatch):
    """Without namespaces a child's folder is on the host's disk: the grader counts it while it waits
    (boundedly, however many files there are), and a folder past a private /tmp's size ends the child."""
    from types import SimpleNamespace

    from autograder.runner import student

    folder = tmp_path / "child"
    (folder / "deeper").mkdir(parents=True)
    for i in range(30):
        (folder / "deeper" / f"file-{i}").write_bytes(b"x" * 4096)
    assert student.folder_usage(str(folder), 100)[0] == 31
    assert student.folder_usage(str(folder), 100)[1] >= 30 * 4096
    assert student.folder_usage(str(folder), 10)[0] == 11  # it stops counting past the bound
    monkeypatch.setattr(student, "workdir_name", lambda zygote, child: str(folder))
    process = StudentProcess(SimpleNamespace(process=SimpleNamespace(pid=1)), [])
    process._check_folder()  # 31 files, 120 KiB: within
    monkeypatch.setattr(student, "FOLDER_ENTRIES", 20)
    with pytest.raises(student.FolderFull, match="more than 20 files"):
        process._check_folder()
    monkeypatch.setattr(student, "FOLDER_ENTRIES", 100)
    monkeypatch.setattr(student, "FOLDER_BYTES", 2**16)
    with pytest.raises(student.FolderFull, match="working folder"):
        process._check_folder()
