def softmax(logits, dim=-1):
    # exp(x - logsumexp(x)), with the log-sum-exp written out by hand
    top = logits.max(dim=dim, keepdim=True).values
    log_total = top + torch.log(torch.exp(logits - top).sum(dim=dim, keepdim=True))
    return torch.exp(logits - log_total)
