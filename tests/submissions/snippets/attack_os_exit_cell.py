import os

os._exit(0)  # ends the notebook process without a trace
