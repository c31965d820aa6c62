"""Supply-chain backdoors: poison an upstream (RIPPLe, NeuBA, TransTroj), follow it down a chain of clean
fine-tunes (`persist`), and mark poisoned models so their descendants are flagged."""
