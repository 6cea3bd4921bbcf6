"""养老服务监督公开平台: shared foundation (settings, database, accounts, jobs) and the disclosure portal."""
