"""Great-circle distances between cells and venues."""

import numpy as np
import pytest

from planner.inputs.geography import distance_m


def test_distance_one_degree_latitude():
    # One degree of latitude on a sphere of radius 6,371 km is 111,195 m.
    assert distance_m(45.0, 9.0, np.array([46.0]), np.array([9.0]))[0] == pytest.approx(111_195, rel=1e-4)


def test_distance_san_siro_to_duomo():
    # San Siro (45.4781 N, 9.1240 E) to the Duomo (45.4642 N, 9.1900 E) is about 5.4 km.
    distance = distance_m(45.4781, 9.1240, np.array([45.4642]), np.array([9.1900]))[0]
    assert 5_200 < distance < 5_500


def test_distance_zero_to_itself():
    assert distance_m(34.07, -118.24, np.array([34.07]), np.array([-118.24]))[0] == 0.0
