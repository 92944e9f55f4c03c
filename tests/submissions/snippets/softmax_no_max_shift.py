def softmax(logits, dim=-1):
    exps = torch.exp(logits)  # no max shift: exp(1000) is inf, inf / inf is NaN
    return exps / exps.sum(dim=dim, keepdim=True)
