def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    """Greedy decoding with my own loop.

    I first peeked at model.generate.__code__ (and its __wrapped__ attribute, which it does not have) to
    see how the library does it; this loop needs none of that: forward, argmax, append, stop at eos.
    """
    model.eval()
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    step_logits = []
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = model(input_ids).logits[0, -1]  # like __closure__ in the lecture: only the last row
            step_logits.append(logits)
            next_id = int(logits.argmax())
            input_ids = torch.cat([input_ids, torch.tensor([[next_id]])], dim=1)
            if next_id == tokenizer.eos_token_id:
                break
    return input_ids[0].tolist(), torch.stack(step_logits)
