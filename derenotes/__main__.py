"""python -m derenotes: the derenotes command (derenotes.cli)."""
from derenotes.cli import console_script

if __name__ == "__main__":
    console_script()
