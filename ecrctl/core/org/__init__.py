"""Every account of an AWS Organization: which accounts (``--accounts``), and how fast to ask."""
