%%time
ids, step_logits = greedy_generate(gpt2, gpt2_tokenizer, PROMPT, 8)
print(gpt2_tokenizer.decode(ids), tuple(step_logits.shape))
