def classify(model, tokenizer, text):
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0]
    probabilities = softmax(logits).tolist()
    labels = sorted(model.config.id2label.values())  # alphabetical, not in id order
    return {label: round(100 * p, 1) for label, p in zip(labels, probabilities)}
