def top_k_next_tokens(model, tokenizer, prompt, k):
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0, -1]
    probabilities, token_ids = torch.topk(softmax(logits), k)
    return list(zip(token_ids.tolist(), probabilities.tolist()))  # ids, not decoded strings
