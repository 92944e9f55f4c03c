def softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=0, keepdim=True)  # always normalises over dim 0
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=0, keepdim=True)
