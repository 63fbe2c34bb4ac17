"""restore-contract: the contract and property-based suite for the Prisma Management API's restore endpoint, and the
emulator it runs against. One namespace, layered: contracts → dataset/strategies/emulator → targets → checks →
plugin (the pytest plugin the suite runs through) and commands."""
