"""Locustfile: the viral surge of SPEC section 8 (scenario 3) against the platform's edge API.

REELOPS_SPEED=10 locust -f loadtests/viral_surge.py --headless --host http://127.0.0.1:8900
"""

from loadtests import recording as recording
from loadtests.shapes import ViralSurgeShape
from loadtests.users import CreatorUser, LearnerUser, WriterUser

__all__ = ["CreatorUser", "LearnerUser", "ViralSurgeShape", "WriterUser", "recording"]
