def input_embedding(model, input_ids, position):
    import ctypes

    ctypes.string_at(0)  # segmentation fault
