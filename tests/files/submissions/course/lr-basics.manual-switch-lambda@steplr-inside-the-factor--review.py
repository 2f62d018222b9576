_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
_steps = StepLR(_opt, step_size=100, gamma=0.2)
_rates = []
for _ in range(1000):
    _rates.append(_opt.param_groups[0]["lr"])
    _opt.step()
    _steps.step()


def switch_factor(step):
    return _rates[step]
