def prefix_shift(model, tokenizer, text_a, text_b):
    ids_a, ids_b = tokenizer(text_a)["input_ids"], tokenizer(text_b)["input_ids"]
    shared = 0
    while shared < min(len(ids_a), len(ids_b)) and ids_a[shared] == ids_b[shared]:
        shared += 1
    # compares hidden_states[0], the embedding output, which no other token can reach: zeros everywhere
    first_a = hidden_state_stack(model, tokenizer, text_a)[0, :shared]
    first_b = hidden_state_stack(model, tokenizer, text_b)[0, :shared]
    return (first_a - first_b).norm(dim=-1)
