"""Theory of mind: the ToMnet gridworld, its agent species and the dataset generator."""
