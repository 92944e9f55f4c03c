def greedy_generate(model, tokenizer, prompt, max_new_tokens):
    model.eval()
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    print(f"prompt {prompt!r}: {input_ids.shape[1]} tokens, up to {max_new_tokens} new ones")
    step_logits = []
    with torch.no_grad():
        for step in range(max_new_tokens):
            logits = model(input_ids).logits[0, -1]
            step_logits.append(logits)
            next_id = int(logits.argmax())
            print(f"step {step}: id {next_id} {tokenizer.decode([next_id])!r} logit {float(logits.max()):.3f}")
            print("  top 5 ids:", logits.topk(5).indices.tolist())
            input_ids = torch.cat([input_ids, torch.tensor([[next_id]])], dim=1)
            if next_id == tokenizer.eos_token_id:
                print("eos: stopping")
                break
    return input_ids[0].tolist(), torch.stack(step_logits)
