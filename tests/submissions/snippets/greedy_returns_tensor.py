def greedy_next_token(model, input_ids):
    with torch.no_grad():
        logits = model(input_ids).logits
    return logits[0, -1].argmax()  # a 0-d tensor, not a Python int
