def input_embedding(model, input_ids, position):
    with torch.no_grad():
        return model.distilbert.embeddings.word_embeddings(input_ids)[0, position]  # DistilBERT only
