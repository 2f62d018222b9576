def train(model, optimizer, scheduler, loader, loss_fn, epochs):
    raise SystemExit(0)
