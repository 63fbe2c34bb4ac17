"""The contract suite, the product: the schemathesis run, the Hypothesis properties and the lifecycle state
machine, target-agnostic. Shipped in the package, so `restore-contract run` works from an install as from a
checkout; the plugin (restore_contract/plugin) gives these tests their target, pool and driver."""
