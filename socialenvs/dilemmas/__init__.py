"""Social dilemmas: matrix games, commons harvest, cleanup, coin game, and more."""
