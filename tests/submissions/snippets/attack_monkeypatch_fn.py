def top_k_next_tokens(model, tokenizer, prompt, k):
    return [("nonsense", 0.5)] * k  # wrong on purpose: only patched comparisons could accept it
