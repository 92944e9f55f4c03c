def token_trajectory(model, tokenizer, text, position):
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**inputs, output_hidden_states=True)
    return torch.stack([h[0, position] for h in outputs.hidden_states], dim=1)  # [H, L+1] instead of [L+1, H]
