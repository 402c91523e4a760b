"""Norms and sanctions: Allelopathic Harvest and the public sanction event stream."""
