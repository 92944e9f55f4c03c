import numpy as np


def classify(model, tokenizer, text):
    model.eval()
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
    percents = 100 * softmax(logits).double().numpy()  # numpy float64 from here on
    return {model.config.id2label[i]: np.round(p, 1) for i, p in enumerate(percents)}
