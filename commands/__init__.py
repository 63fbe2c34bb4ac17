"""Command-line entry points of the suite beyond pytest (`python -m commands.NAME`)."""
