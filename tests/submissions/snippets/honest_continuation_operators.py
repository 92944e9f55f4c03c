def classify(model, tokenizer, text):
    model.eval()
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0]
    probabilities = softmax(logits).tolist()
    assert abs(sum(probabilities) - 1) < 1e-3, ("probabilities sum to %.4f, not 1"
                                                % sum(probabilities))
    return {model.config.id2label[i]: round(100 * p, 1) for i, p in enumerate(probabilities)}


def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    model.eval()
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    step_logits, keep_going = [], True
    with torch.no_grad():
        while keep_going and len(step_logits) < max_new_tokens:
            logits = model(input_ids).logits[0, -1]
            step_logits.append(logits)
            next_id = int(logits.argmax())
            input_ids = torch.cat([input_ids, torch.tensor([[next_id]])], dim=1)
            keep_going = (next_id
                          != tokenizer.eos_token_id)
    return input_ids[0].tolist(), torch.stack(step_logits)
