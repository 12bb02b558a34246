"""IP rights registry and rights confirmation (确权)."""
