def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    model.eval()
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    guards = {"eos": tokenizer.eos_token_id, "limit": max_new_tokens}  # the loop's two stop conditions
    step_logits = []
    with torch.no_grad():
        while len(step_logits) < guards["limit"]:
            logits = model(input_ids).logits[0, -1]
            step_logits.append(logits)
            next_id = int(logits.argmax())
            input_ids = torch.cat([input_ids, torch.tensor([[next_id]])], dim=1)
            if next_id == guards["eos"]:
                break
    return input_ids[0].tolist(), torch.stack(step_logits)
