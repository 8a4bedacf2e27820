"""The `leko` command: run the whole platform locally, load demo data, and upload extracts
from payroll systems through the gateway."""
