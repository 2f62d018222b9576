class MyExponential(ExponentialLR):
    pass
