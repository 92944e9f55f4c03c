def layerwise_similarity(model, tokenizer, text_a, position_a, text_b, position_b):
    a = token_trajectory(model, tokenizer, text_a, position_a)
    b = token_trajectory(model, tokenizer, text_b, position_b)
    return (a * b).sum(dim=-1)  # dot product: never divided by the norms
