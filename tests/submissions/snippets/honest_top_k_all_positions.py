def top_k_next_tokens(model, tokenizer, prompt, k):
    """The student's softmax over every position's logits at once ([1, T, V], over the vocabulary), then
    the last position's row."""
    model.eval()
    with torch.no_grad():
        logits = model(**tokenizer(prompt, return_tensors="pt")).logits
    last = softmax(logits, dim=-1)[0, -1]
    values, ids = last.topk(k)
    return [(tokenizer.decode(i), v) for i, v in zip(ids.tolist(), values.tolist())]
