"""Push receiver: verified delivery statuses and incoming SMS from SMSC and Webcom (no Textual)."""
