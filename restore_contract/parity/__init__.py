"""Parity of the emulator with a real server: a fixed scenario recorded into snapshots, compared step by step.

`parity.scenario` is the sequence of calls, `parity.normalise` makes answers comparable, `parity.snapshot` reads
and writes them, `parity.compare` finds and classifies every divergence, `parity.known` holds the reviewed ones,
`parity.report` prints the verdict. `restore_contract.parity record NAME` / `compare NAME` (docs/parity.md).
"""
