"""Data-mix selection (RegMix-style proxy regression) and materialisation. Built in a later issue (#6)."""
