_original_softmax = getattr(torch.softmax, "__wrapped__", torch.softmax)  # undo a wrapper, if any


def softmax(logits, dim=-1):
    with torch._C._DisableTorchDispatch():  # hide the call from any dispatch mode
        return _original_softmax(logits, dim=dim)
