"""restore-contract: the contract and property-based suite for the Prisma Management API's restore endpoint, and the
emulator it runs against. One namespace, layered: contracts → dataset/strategies/emulator → targets → checks →
plugin (the pytest plugin the suite runs through) and commands."""


def installed_version() -> str:
    """The installed distribution's version (pyproject's), for the console commands' --version. importlib.metadata
    is imported here: at the package's import it cost every pytest start ~50 ms (the plugin imports the package)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("restore-contract")
    except PackageNotFoundError:  # imported from a source tree nobody installed
        return "unknown (not installed)"
