"""The shared kernel of the rules: money, periods, errors and their codes, limits, text."""
