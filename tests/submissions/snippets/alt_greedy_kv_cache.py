def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    # one full forward pass, then only the newest token with the attention cache
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    ids, new_ids, cache, step_logits = input_ids[0].tolist(), input_ids, None, []
    with torch.no_grad():
        for _ in range(max_new_tokens):
            outputs = model(new_ids, cache=cache, use_cache=True)
            cache = outputs.cache
            logits = outputs.logits[0, -1]
            step_logits.append(logits)
            next_id = int(logits.argmax())
            ids.append(next_id)
            if next_id == tokenizer.eos_token_id:
                break
            new_ids = torch.tensor([[next_id]])
    return ids, torch.stack(step_logits)


def greedy_next_token(model, input_ids):
    with torch.no_grad():
        return model(input_ids=input_ids).logits[:, -1, :].argmax(dim=-1).item()


def decode_steps(tokenizer, token_ids, prompt_length):
    steps = []
    for token_id in token_ids[prompt_length:]:
        steps.append(tokenizer.decode(token_id))
    return steps
