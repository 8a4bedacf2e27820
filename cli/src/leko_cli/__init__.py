"""The `leko` command: run the whole platform locally, load demo data, and (later) upload
extracts from payroll systems through the gateway."""
