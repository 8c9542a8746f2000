"""User-edited YAML configuration and the schema that validates it."""
