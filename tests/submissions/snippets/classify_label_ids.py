def classify(model, tokenizer, text):
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0]
    probabilities = softmax(logits).tolist()
    return {i: round(100 * p, 1) for i, p in enumerate(probabilities)}  # class ids, not id2label names
