"""The audit trail: every regulated change and logbook entry, searchable and exportable."""
