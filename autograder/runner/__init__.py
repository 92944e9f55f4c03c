"""Isolated execution of untrusted notebooks: a warm zygote forks one confined child per submission part."""
