def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = model(input_ids).logits[0]  # [T, V]
            next_id = int(logits[-1].argmax())
            input_ids = torch.cat([input_ids, torch.tensor([[next_id]])], dim=1)
            if next_id == tokenizer.eos_token_id:
                break
    return input_ids[0].tolist(), logits  # the last forward pass at every position, not one row per step
