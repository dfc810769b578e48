"""The workbench's screens: coding, search, topics and the codebook editor."""
