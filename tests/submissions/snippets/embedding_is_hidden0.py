def input_embedding(model, input_ids, position):
    with torch.no_grad():
        outputs = model(input_ids, output_hidden_states=True)
    return outputs.hidden_states[0][0, position]  # embedding OUTPUT (position emb., LayerNorm), not the row
