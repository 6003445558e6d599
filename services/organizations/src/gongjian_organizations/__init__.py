"""The organizations service: areas, units and the organisations that cover them (覆盖)."""
