"""The adversarial sweep: every public function x every hostile input (issue #11, section 3).

"Correct result or documented error, never a silently wrong result": see
``expected.py`` for what each pair must give and ``specs.py`` for how
correctness is verified.
"""

from __future__ import annotations

import pytest

import pivotal as pv
import pivotal.randomized as pvr

from .expected import KNOWN_BUGS
from .specs import NOT_APPLICABLE, SPECS
from .sweep import NotApplicable, run_case
from .test_gallery_sizes import GENERATORS
from .variants import VARIANTS


def _params():
    for s in SPECS:
        has_rhs = SPECS[s].build("real", None).rhs is not None
        for v in VARIANTS:
            if VARIANTS[v].needs_rhs and not has_rhs:
                continue
            marks = []
            if (s, v) in KNOWN_BUGS:
                bug = KNOWN_BUGS[(s, v)]
                marks.append(
                    pytest.mark.xfail(strict=not bug.vendor_dependent, reason=f"BUG: {bug.description}")
                )
            yield pytest.param(s, v, id=f"{s}-{v}", marks=marks)


@pytest.mark.parametrize("spec_name, variant_name", list(_params()))
def test_sweep(spec_name, variant_name):
    try:
        run_case(SPECS[spec_name], VARIANTS[variant_name])
    except NotApplicable as exc:
        pytest.skip(str(exc))


def _public_names():
    names = set(pv.__all__)
    names |= {f"randomized.{n}" for n in pvr.__all__ if n not in pv.__all__}
    names |= {f"gallery.{n}" for n in pv.gallery.__all__ if callable(getattr(pv.gallery, n))}
    return names


def test_every_public_function_is_swept():
    """A new public function cannot skip the sweep: it needs a spec or a reason in NOT_APPLICABLE."""
    covered = {s.target for s in SPECS.values()} | set(NOT_APPLICABLE) | {f"gallery.{g}" for g in GENERATORS}
    missing = sorted(_public_names() - covered)
    assert not missing, f"public names with no adversarial spec (add one to specs.py): {missing}"


def test_registries_name_real_things():
    stale = sorted((set(NOT_APPLICABLE) | {s.target for s in SPECS.values()}) - _public_names())
    assert not stale, f"specs or exemptions for names that are not public: {stale}"
    unknown = sorted(k for k in KNOWN_BUGS if k[0] not in SPECS or k[1] not in VARIANTS)
    assert not unknown, f"KNOWN_BUGS entries for unknown specs/variants: {unknown}"
