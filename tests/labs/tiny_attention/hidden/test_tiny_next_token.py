"""Hidden tests of part 2: the decoder's next token, read from its logits."""

import torch

from autograder.errors import CheckFailed
from autograder.grading.suite import points
from autograder.runner.placeholders import model, tokenizer


def _expected(reference, text: str) -> int:
    tokens, decoder = reference("decoder")
    with torch.no_grad():
        logits = decoder(**tokens(text, return_tensors="pt")).logits
    return int(logits[0, -1].argmax())


@points(3)
def test_next_token_is_the_argmax_of_the_last_logits(student, reference):
    """next_token_id is the most likely token after the text"""
    text = "The quick brown fox"
    got = student.call("next_token_id", model("decoder"), tokenizer("decoder"), text)
    if got != _expected(reference, text):
        raise CheckFailed(f"next_token_id(model, tokenizer, {text!r}) is not the decoder's most likely next "
                          "token")


@points(1)
def test_next_token_is_an_int(student):
    """next_token_id returns a Python int"""
    got = student.call("next_token_id", model("decoder"), tokenizer("decoder"), "Hi")
    if type(got) is not int:
        raise CheckFailed("next_token_id(...) should return an int (use .item() or int(...))")
