"""Use cases with authorisation: the only API the Streamlit pages use.

Every function takes the acting user (:class:`Actor`) first and checks,
on the database, what that user may read or write.
"""

from matcher.errors import MatcherError
from matcher.services._common import Actor

# MatcherError is part of the services' interface: pages catch it to show its French message.
__all__ = ["Actor", "MatcherError"]
