"""Shipments of controlled substances (and products containing them), the border check, and iPIC."""
