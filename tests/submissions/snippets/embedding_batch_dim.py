def input_embedding(model, input_ids, position):
    with torch.no_grad():
        return model.get_input_embeddings()(input_ids)[:, position]  # [1, H]: batch dimension kept
