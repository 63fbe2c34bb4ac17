"""Running the emulator as a server process, for the tests and benchmarks that need one over real HTTP."""
