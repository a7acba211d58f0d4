"""Small helpers shared by the AppTest tests (imported by the test modules)."""

from __future__ import annotations

PASSWORDS = {
    "owner": ("collectivite@demo.tiers-lieux.fr", "demo-collectivite"),
    "holder": ("porteur@demo.tiers-lieux.fr", "demo-porteur"),
    "fund": ("fonds@demo.tiers-lieux.fr", "demo-fonds-isr"),
    "admin": ("admin@demo.tiers-lieux.fr", "demo-administrateur"),
}


def texts(at, kind: str) -> list[str]:
    """Return the values of all elements of a kind (error, success, warning, caption...)."""
    return [str(e.value) for e in getattr(at, kind)]


def button(at, label: str):
    """Return the button (or form submit button) with this label."""
    for b in at.button:
        if b.label == label:
            return b
    raise AssertionError(f"bouton « {label} » absent : {[b.label for b in at.button]}")
