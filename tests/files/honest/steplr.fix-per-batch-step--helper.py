def one_batch(model, optimizer, loss_fn, inputs, targets):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


def train(model, optimizer, scheduler, loader, loss_fn, epochs):
    history = []
    for _ in range(epochs):
        total = 0.0
        for inputs, targets in loader:
            total += one_batch(model, optimizer, loss_fn, inputs, targets)
        history.append(total / len(loader))
        scheduler.step()
    return history
