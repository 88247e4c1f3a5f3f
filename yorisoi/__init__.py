"""yorisoi: a LINE bot platform for anonymous counselling."""

__version__ = "0.1.0"
