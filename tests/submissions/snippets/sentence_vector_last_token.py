def sentence_vector(model, tokenizer, text):
    return hidden_state_stack(model, tokenizer, text)[-1, -1]  # the last token ([SEP]), not the first
