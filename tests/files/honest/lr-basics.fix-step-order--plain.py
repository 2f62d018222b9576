def train(model, optimizer, scheduler, loader, loss_fn, epochs):
    for epoch in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
        scheduler.step()
