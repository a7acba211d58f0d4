"""Use cases with authorisation: the only API the Streamlit pages use.

Every function takes the acting user (:class:`Actor`) first and checks,
on the database, what that user may read or write.
"""

from matcher.services._common import Actor

__all__ = ["Actor"]
