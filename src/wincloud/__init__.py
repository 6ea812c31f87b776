"""wincloud: Windows as a first-class citizen of OpenStack-style clouds."""

__version__ = "0.1.0"
