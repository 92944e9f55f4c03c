def classify(model, tokenizer, text):
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0]
    probabilities = softmax(logits).tolist()
    return {model.config.id2label[i]: 100 * p for i, p in enumerate(probabilities)}  # not rounded
