"""Places and government offices: districts, streets, departments."""
