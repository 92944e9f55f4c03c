def input_embedding(model, input_ids, position):
    with torch.no_grad():
        return model.get_input_embeddings()(input_ids)[0, -1]  # always the last token, ignores `position`
