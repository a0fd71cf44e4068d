"""Built-in SMSC and Webcom emulators running a seeded, deterministic campaign (no Textual)."""
