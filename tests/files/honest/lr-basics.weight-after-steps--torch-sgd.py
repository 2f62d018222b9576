import torch


def weight_after(w0, curvature, lr, steps):
    w = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    optimizer = torch.optim.SGD([w], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = 0.5 * curvature * w ** 2
        loss.backward()
        optimizer.step()
    return w.item()
