def greedy_next_token(model, input_ids):
    with torch.no_grad():
        logits = model(input_ids).logits
    return int(logits[0, 0].argmax())  # first position instead of the last
