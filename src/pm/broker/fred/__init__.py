"""FRED (Federal Reserve Economic Data): the macro series of `pm regime`."""
