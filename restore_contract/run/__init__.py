"""The run's machinery: the driver that sends and has checks/ judge each answer, the time budget, restores verified
in the background, progress lines, the settings checked before a run, repro commands, the coverage table, and the
run's typed record that all of it writes into."""
