# Try to reach the internet at the top of the notebook (every way fails quietly).
import contextlib
import urllib.request

NET_RESULTS = []
with contextlib.suppress(Exception):
    NET_RESULTS.append(urllib.request.urlopen("http://example.com", timeout=3).read())
with contextlib.suppress(Exception):
    import _socket

    raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    raw.settimeout(3)
    raw.connect(("93.184.215.14", 80))  # the C-level socket, below any Python-level patch
    NET_RESULTS.append(b"connected")
print("network:", NET_RESULTS)
