"""The cheat sheet lists every torch scheduler, and every default it shows is torch's own."""

import inspect

import pytest
import torch

from lrcourse import SchedulerConfigError
from lrcourse.content.reference import (
    REQUIRED,
    scheduler_info,
    scheduler_reference,
    scheduler_reference_markdown,
)

TORCH_SCHEDULERS = {
    name
    for name, value in vars(torch.optim.lr_scheduler).items()
    if inspect.isclass(value)
    and issubclass(value, (torch.optim.lr_scheduler.LRScheduler,))
    and name not in {"LRScheduler", "_LRScheduler"}
} | {"ReduceLROnPlateau"}


def test_cheat_sheet_lists_every_torch_scheduler_once():
    names = [info.name for info in scheduler_reference()]
    assert len(names) == 15
    assert sorted(names) == sorted(TORCH_SCHEDULERS)


@pytest.mark.parametrize("info", scheduler_reference(), ids=lambda info: info.name)
def test_every_default_equals_torch_signature(info):
    signature = inspect.signature(getattr(torch.optim.lr_scheduler, info.name))
    assert info.key_params, f"{info.name} shows no parameter"
    for param in info.key_params:
        declared = signature.parameters[param.name].default
        if declared is inspect.Parameter.empty:
            assert param.default is REQUIRED
            assert param.describe() == param.name
        else:
            assert param.default == declared
            assert type(param.default) is type(declared)
            assert param.describe().startswith(f"{param.name}=")


def test_required_parameters_are_the_ones_torch_refuses_to_omit():
    # StepLR without step_size fails in torch; with it, it builds. The sheet must agree.
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(TypeError):
        torch.optim.lr_scheduler.StepLR(optimizer)
    torch.optim.lr_scheduler.StepLR(optimizer, step_size=3)
    step_params = {param.name: param for param in scheduler_info("StepLR").key_params}
    assert step_params["step_size"].required
    assert not step_params["gamma"].required


def test_markdown_table_has_one_row_per_scheduler_with_its_defaults():
    table = scheduler_reference_markdown().splitlines()
    rows = table[2:]
    assert len(rows) == 15
    assert all(row.startswith("| `") and row.endswith(" |") for row in rows)
    linear = next(row for row in rows if row.startswith("| `LinearLR`"))
    default_total_iters = inspect.signature(torch.optim.lr_scheduler.LinearLR).parameters[
        "total_iters"
    ]
    assert f"`total_iters={default_total_iters.default}`" in linear


def test_unknown_scheduler_is_a_course_error_naming_the_valid_ones():
    with pytest.raises(SchedulerConfigError, match="StepLR"):
        scheduler_info("StepLr")


def test_a_parameter_torch_does_not_accept_is_reported_by_name(monkeypatch):
    from lrcourse.content import reference

    broken = reference._Curated(("step_size", "gama"), "epoch", "typo in the curated data")
    monkeypatch.setitem(reference._CURATED, "StepLR", broken)
    with pytest.raises(SchedulerConfigError, match=r"'gama'.*StepLR.*step_size, gamma"):
        scheduler_info("StepLR")
