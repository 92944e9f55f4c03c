def classify(model, tokenizer, text):
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0]
    p = softmax(logits)
    labels = model.config.id2label
    return {labels[0]: round(100 * p[0].item(), 1), labels[1]: round(100 * p[1].item(), 1)}
