"""Agreement between coders: the coefficients (stats), the units and tables, and consensus."""
