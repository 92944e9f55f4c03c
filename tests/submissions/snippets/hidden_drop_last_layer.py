def hidden_state_stack(model, tokenizer, text):
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**inputs, output_hidden_states=True)
    return torch.stack(outputs.hidden_states[:-1])[:, 0]  # off by one: the last layer's output is dropped
