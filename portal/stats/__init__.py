"""Statistics: complaint and institution figures, accessible SVG charts, monthly snapshots."""
