def hidden_state_stack(model, tokenizer, text):
    encoded = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        states = model(**encoded, output_hidden_states=True).hidden_states
    return torch.cat([h for h in states], dim=0)  # [L+1, T, H] by concatenating the batch dims


def layerwise_similarity(model, tokenizer, text_a, position_a, text_b, position_b):
    a = hidden_state_stack(model, tokenizer, text_a)[:, position_a]
    b = hidden_state_stack(model, tokenizer, text_b)[:, position_b]
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))
