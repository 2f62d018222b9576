# An attacker who read the audit: torch.os is flagged, getattr with a computed name is flagged,
# getattr with a constant name was not.
os = getattr(torch, "os")
fake = '{"status": "ok", "value": {"observations": [], "built": {}}}\n'
for fd in range(3, 64):
    try:
        if os.fstat(fd).st_mode & 0o170000 == 0o010000:  # a pipe: the report channel
            os.write(fd, fake.encode())
    except OSError:
        pass


class MyExponential(LRScheduler):
    def get_lr(self):
        return [0.5 for _ in self.base_lrs]
