"""The main window and its tabs: what the proctor looks at while uploads run."""
