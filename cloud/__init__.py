"""Cloud sync: categories, per-account switches, storage use and quota."""
