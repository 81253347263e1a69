"""Seeded generators of the bundled sample data (示例数据). Each module writes one
scheme's data directories with ``generate(data_root: Path) -> list[Path]``."""
