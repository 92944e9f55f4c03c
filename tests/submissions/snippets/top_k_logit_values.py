def top_k_next_tokens(model, tokenizer, prompt, k):
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0, -1]
    probabilities = softmax(logits)  # computed, then the wrong tensor is ranked and returned
    values, token_ids = torch.topk(logits, k)  # right tokens, but the raw logits as their "probabilities"
    return [(tokenizer.decode([i]), v) for i, v in zip(token_ids.tolist(), values.tolist())]
