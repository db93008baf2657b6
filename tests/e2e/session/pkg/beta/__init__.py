def classify(n):
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"


def describe(n):
    kind = classify(n)
    print(f"{n} is {kind}")
    return kind


def unused(n):
    if n:
        return 1
    return 2
