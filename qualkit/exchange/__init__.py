"""Every way into and out of a qualkit project: REFI-QDA .qdpx/.qdc exchange and codings CSV."""
