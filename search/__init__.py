"""Full-text search over published disclosures (whoosh-reloaded + jieba)."""
