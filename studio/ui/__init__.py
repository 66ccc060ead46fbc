"""Qt widgets of the studio: talk to the engine only through its adapter's signals and commands."""
