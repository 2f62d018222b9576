def cut_epochs(epochs):
    regular = [e for e in range(22, epochs, 10)]
    return [5, 12] + regular
