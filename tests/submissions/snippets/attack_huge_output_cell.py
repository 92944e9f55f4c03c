print("x" * 100_000_000)  # 100 MB of output at the top of the notebook
