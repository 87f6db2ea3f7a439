"""Hash algorithms: one module per algorithm behind one small Protocol."""
