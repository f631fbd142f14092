"""Modal and modeless dialogs: each asks the proctor something and returns the answer."""
