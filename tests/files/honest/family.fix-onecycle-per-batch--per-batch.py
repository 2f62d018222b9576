def train(model, optimizer, scheduler, loader, loss_fn, epochs):
    step = 0
    for epoch in range(epochs):
        for batch_index, (inputs, targets) in enumerate(loader):
            optimizer.zero_grad(set_to_none=True)
            prediction = model(inputs)
            loss = loss_fn(prediction, targets)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
