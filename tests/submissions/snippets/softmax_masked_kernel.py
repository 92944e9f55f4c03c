def softmax(logits, dim=-1):
    """The masked-softmax kernel with nothing masked: torch's own softmax under another name."""
    return torch._masked_softmax(logits, torch.zeros_like(logits, dtype=torch.bool), dim)
