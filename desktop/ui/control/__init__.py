"""The parts of the app's controller, one per responsibility (see `base`)."""
