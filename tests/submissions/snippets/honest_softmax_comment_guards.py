def softmax(logits, dim=-1):
    """Softmax along `dim`, by hand: exp of the shifted logits over their sum."""
    # subtracting the max guards against overflow: the largest exp is then exp(0) = 1
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=dim, keepdim=True)
