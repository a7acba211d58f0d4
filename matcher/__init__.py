"""matcher: rapprocher locaux vacants et projets de tiers-lieux.

The library never imports streamlit; the application lives in ``app.py`` and
``app_pages/`` and goes through :mod:`matcher.services`.
"""

__version__ = "0.1.0"
