def cut_epochs(epochs):
    if epochs == 30:
        return [5, 12, 22]
    return [5, 12, 22, 32, 42]
