def softmax(logits, dim=-1):
    return torch._C._VariableFunctions.softmax(logits, dim)  # the C-level entry point
