"""Studies: config (YAML → pydantic), planning, execution, metrics."""
