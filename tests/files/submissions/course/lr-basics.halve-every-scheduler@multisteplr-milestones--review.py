class HalveEvery(MultiStepLR):
    def __init__(self, optimizer, every, last_epoch=-1):
        super().__init__(optimizer, list(range(every, 10_000, every)), 0.5, last_epoch)
