"""Moving codings in and out of qualkit: the codings CSV, and exchange formats such as REFI-QDA."""
