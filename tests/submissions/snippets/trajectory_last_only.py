def token_trajectory(model, tokenizer, text, position):
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**inputs, output_hidden_states=True)
    return outputs.hidden_states[-1][0, position]  # only the last layer, shape [H]
