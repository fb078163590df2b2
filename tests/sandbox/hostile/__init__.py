"""Hostile strategy files (fixtures, run only inside the sandbox). Each logs what it managed."""
