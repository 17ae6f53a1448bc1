"""Cylinders: the register of refrigerant cylinders and containers, their contents and signed labels."""
