"""What a contract run leaves for people and machines: reports/summary.json, summary.md (also in a GitHub job's
summary), pictures of the coverage and the restore timeline, and the JUnit XML's properties."""
