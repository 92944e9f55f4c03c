blobs = []
try:
    while True:
        blobs.append(bytearray(2**28))  # 256 MB at a time, until the address-space limit
except MemoryError:
    pass
blobs.clear()
