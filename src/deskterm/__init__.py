"""deskterm: a terminal workstation for e-commerce customer support."""

__version__ = "0.1.0"
