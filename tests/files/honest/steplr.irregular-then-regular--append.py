def cut_epochs(epochs):
    cuts = [5, 12]
    nxt = 22
    while nxt < epochs:
        cuts.append(nxt)
        nxt += 10
    return cuts
