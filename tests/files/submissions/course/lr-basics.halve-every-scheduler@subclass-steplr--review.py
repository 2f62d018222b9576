class HalveEvery(StepLR):
    def __init__(self, optimizer, every, last_epoch=-1):
        super().__init__(optimizer, step_size=every, gamma=0.5, last_epoch=last_epoch)
