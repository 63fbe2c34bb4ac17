"""Command-line entry points of the suite beyond pytest (`python -m restore_contract.commands.NAME`)."""
