# Short names and small helpers of my own for the experiments below.
model, tokenizer = gpt2, gpt2_tokenizer


def expect_close(a, b, tol=1e-4):
    """True when two tensors agree within `tol` everywhere."""
    return float((a - b).abs().max()) <= tol


def compare(mine, theirs):
    """Where two id lists first differ (None if they are equal)."""
    return next((i for i, (x, y) in enumerate(zip(mine, theirs)) if x != y), None)


print(compare([1, 2, 3], [1, 2, 4]), expect_close(torch.zeros(3), torch.zeros(3)))
