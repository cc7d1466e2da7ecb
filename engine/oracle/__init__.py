"""The oracle: prices from many venues -> index, mark and reference NBBO; live sports events."""
