"""Many VJPs at one point (issue 11): K cotangents (``cotangents``) and the adjoint solve
(``adjoint``), their measurement (``measure``) and the 'which strategy for how many VJPs' table
(``table``). ``names`` lists the methods without importing JAX."""
