"""Text in the user's language: labels for numbers and states, errors, plurals, translations."""
