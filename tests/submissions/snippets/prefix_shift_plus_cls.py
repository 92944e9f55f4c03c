def prefix_shift(model, tokenizer, text_a, text_b):
    # written with BERT in mind: one [CLS] assumed in front of the shared words
    tokens_a, tokens_b = tokenizer.tokenize(text_a), tokenizer.tokenize(text_b)
    shared = 0
    while shared < min(len(tokens_a), len(tokens_b)) and tokens_a[shared] == tokens_b[shared]:
        shared += 1
    shared += 1  # [CLS]
    last_a = hidden_state_stack(model, tokenizer, text_a)[-1, :shared]
    last_b = hidden_state_stack(model, tokenizer, text_b)[-1, :shared]
    return (last_a - last_b).norm(dim=-1)
