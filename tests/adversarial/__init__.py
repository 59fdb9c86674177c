"""Adversarial sweep: every public function against every hostile input (issue #11, section 3).

``specs.py`` says how to call each public function and how to verify the
mathematics of its result; ``variants.py`` says how to make its input
hostile; ``expected.py`` lists the documented errors and the known bugs;
``test_sweep.py`` runs the product.  ``python -m tests.adversarial.report``
prints the outcome matrix.
"""
