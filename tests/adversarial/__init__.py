"""Adversarial sweep: every public function against every hostile input (issue #11, section 3).

"Correct result or documented error, never a silently wrong result."

* ``specs/``: one :class:`~.specs.registry.Spec` per public function (a few
  functions have several, for options such as ``transposed=True``): how to
  build a well-posed problem, how to call the function, and a checker that
  verifies the mathematics of the result against a reference computed in
  wide precision on exactly the data that was passed (``arith.py``,
  ``checks.py``).
* ``variants.py``: how each variant makes the input hostile (NaN/Inf, scaling
  to 1e+-150, 1e+-300 and subnormals, empty, 1 x 1, other dtypes, strides,
  read-only, masked, lists, torch).
* ``expected.py``: the rules and the small table of documented errors, and
  ``BUGS``, the defects found whose fix belongs to another part of #11; their
  cases are ``xfail(strict=True)``, so a fix makes them fail until its entry
  is removed.
* ``test_sweep.py`` runs every (spec, variant) pair and checks that every
  public name has a spec or a reason in ``NOT_APPLICABLE``;
  ``test_checkers.py`` checks that each checker rejects a slightly wrong
  result; ``test_gallery_sizes.py`` sweeps the size-taking generators.

A new public function needs a spec (``specs/<area>.py``) or an entry in
``NOT_APPLICABLE``.  ``python -m tests.adversarial.report [--markdown]``
prints the outcome matrix.
"""
