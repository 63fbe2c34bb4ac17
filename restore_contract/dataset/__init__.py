"""What the databases hold: the data model every reader and writer shares (`tables`), and the golden fixture."""
