def make_factor(every, gamma):
    def factor(step):
        return gamma ** (step // every)
    return factor


switch_factor = make_factor(100, 0.2)
