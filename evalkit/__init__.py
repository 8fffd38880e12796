"""evalkit: how much quality a distilled video VAE decoder loses against its teacher, and what it buys."""

__version__ = "0.1.0"
