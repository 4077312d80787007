"""MNI <-> Talairach: Lancaster's transform equals NiMARE's tal2mni/mni2tal; Brett's transform
inverts exactly and its two halves meet at z = 0."""

from __future__ import annotations

import numpy as np
import pytest
from nimare.utils import mni2tal, tal2mni

from c2r_db.spaces import mni_to_tal, tal_to_mni, to_mni


@pytest.fixture
def points():
    return np.random.default_rng(4).uniform(-80, 80, size=(1000, 3))


def test_lancaster_matches_nimare(points):
    np.testing.assert_allclose(tal_to_mni(points), tal2mni(points.copy()), atol=1e-9)
    np.testing.assert_allclose(mni_to_tal(points), mni2tal(points.copy()), atol=1e-9)


def test_round_trip(points):
    np.testing.assert_allclose(tal_to_mni(mni_to_tal(points)), points, atol=1e-9)
    tal = mni_to_tal(points, "brett")
    same_side = np.sign(tal[:, 2]) == np.sign(points[:, 2])
    assert same_side.sum() > 900
    np.testing.assert_allclose(tal_to_mni(tal[same_side], "brett"), points[same_side], atol=1e-9)


def test_brett_is_piecewise_and_continuous():
    above = np.array([[10.0, 12.0, 1e-9]])
    below = np.array([[10.0, 12.0, -1e-9]])
    np.testing.assert_allclose(mni_to_tal(above, "brett"), mni_to_tal(below, "brett"), atol=1e-6)
    # Brett's matrices scale z by 0.9189 above the AC plane and 0.8390 below it.
    up, down = mni_to_tal([[0, 0, 10.0], [0, 0, -10.0]], "brett")
    assert up[2] == pytest.approx(9.189) and down[2] == pytest.approx(-8.390)
    assert not np.allclose(mni_to_tal(above, "brett"), mni_to_tal(above, "lancaster"))


def test_to_mni_validates():
    with pytest.raises(ValueError, match="space"):
        to_mni([[0, 0, 0]], "native")
    with pytest.raises(ValueError, match="transform"):
        to_mni([[0, 0, 0]], "tal", "nonlinear")
    np.testing.assert_array_equal(to_mni([1.0, 2.0, 3.0]), [[1.0, 2.0, 3.0]])
