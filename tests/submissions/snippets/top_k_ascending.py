def top_k_next_tokens(model, tokenizer, prompt, k):
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0, -1]
    probabilities = softmax(logits)
    token_ids = probabilities.argsort()[-k:]  # the k largest, but in ascending order: least probable first
    return [(tokenizer.decode([i]), probabilities[i].item()) for i in token_ids.tolist()]
