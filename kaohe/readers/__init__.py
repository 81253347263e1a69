"""Bytes to text for every file a user gives kaohe: CSV (``csvtext``) and YAML (``yamlfile``).

Both decide the encoding the same way and refuse, with the line, what a spreadsheet or an
editor would show differently from what a parser would read."""
